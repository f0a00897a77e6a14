// src/report/store/: what is in a log directory — the runs (run.json, or event files alone) and
// their event data, loaded once and then incrementally. May import src/tensorboard, report/metrics
// and the run.json schema; never src/train, pages, export or server.
import { stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { deathReason, pidAlive, runProcessOf, type RunProcess } from '../metrics/liveness.ts';
import { summarize, type RunSummary } from '../metrics/run-summary.ts';
import {
  parseRunRecord,
  runProcessGone,
  type LenientRunRecord as RunRecord,
  type ParsedRecord,
} from '../../run/record.ts';
import type { DamageWarning } from './damage.ts';
import { EventsLru } from './events-lru.ts';
import { readRunJson, tooLargeWarning, type RunJsonText } from './read-run-json.ts';
import { recordFromEvents } from './record-from-events.ts';
import { RunEvents } from './run-events.ts';
import { findRunDirs, latestEventMtime, type FoundRun } from './scan-logdir.ts';
import { SUBRUNS } from '../../run/layout.ts';

interface StoreOptions {
  /** Rescan the logdir at most this often (ms); requests in between use what is loaded. */
  minRefreshMs?: number;
  /** A running run with no change to run.json or its event files for this long is shown as stale. */
  staleAfterMs?: number;
  /** How deep run.json files are looked for below the logdir (`<experiment>/<run>` is depth 2). */
  maxDepth?: number;
  /** Read every run's event files in the background, one run at a time, to find damaged files for the runs table. */
  checkDamage?: boolean;
  /** Event data is kept for at most this many runs … */
  maxLoadedRuns?: number;
  /** … holding at most this many scalar points together; the least recently used runs are let go first. */
  maxLoadedPoints?: number;
  now?: () => number;
}

interface Entry {
  id: string;
  kind: FoundRun['kind'];
  /** An events-only directory without scalars (e.g. just an HParams experiment summary): not a run to show. */
  hidden: boolean;
  /** Changes whenever anything a page shows about this run changes (store-wide counter, so never reused). */
  stamp: number;
  /** The stamp of the last read of the event files that found something new. */
  eventsStamp: number;
  eventsPoints: number;
  damage: DamageWarning[];
  /** Whether the event files were read since run.json last changed (what the damage sweep looks at). */
  damageChecked: boolean;
  dir: string;
  record: RunRecord;
  warnings: string[];
  process: RunProcess | null;
  mtimeMs: number;
  size: number;
  eventsMtimeMs: number;
  summary: RunSummary | null;
  events: RunEvents | null;
  eventsCheckedAt: number;
  eventsLoading: Promise<RunEvents> | null;
}

/** The sub-runs of a plain Keras/TensorBoard run: other runs may lie below it. */
const KERAS_SUBRUNS: ReadonlySet<string> = new Set(['.', ...SUBRUNS]);

function parsedRunJson(read: Exclude<RunJsonText, null>, file: string): ParsedRecord {
  if ('text' in read) return parseRunRecord(read.text, file);
  const reason = tooLargeWarning(file, read.tooLarge);
  return { record: { error: reason }, warnings: [reason], unreadable: reason };
}

function newEntry(id: string, kind: FoundRun['kind'], dir: string, old?: Entry): Entry {
  return {
    id,
    kind,
    hidden: kind === 'events',
    stamp: 0,
    eventsStamp: old?.eventsStamp ?? 0,
    eventsPoints: old?.eventsPoints ?? 0,
    damage: old?.damage ?? [],
    damageChecked: false,
    dir,
    record: {},
    warnings: [],
    process: null,
    mtimeMs: 0,
    size: 0,
    eventsMtimeMs: old?.eventsMtimeMs ?? 0,
    summary: null,
    events: old?.events ?? null,
    eventsCheckedAt: old?.eventsCheckedAt ?? -Infinity,
    eventsLoading: null,
  };
}

/**
 * Every run under a logdir: a directory holding run.json, or (for logs written by plain Keras or
 * TensorBoard) a directory holding event files or `train/`/`validation/` event directories.
 * run.json files are re-read only when their mtime or size changes; event files of project runs are
 * opened lazily on first use and then read incrementally, so a page that shows a few runs never
 * parses the event files of the others (unless `checkDamage` reads them in the background). The
 * event data of at most `maxLoadedRuns` runs stays in memory.
 */
export class RunStore {
  private readonly minRefreshMs: number;
  private readonly staleAfterMs: number;
  private readonly maxDepth: number;
  private readonly now: () => number;
  private readonly entries = new Map<string, Entry>();
  private lastRefresh = -Infinity;
  private lastScanMs = 0;
  private refreshing: Promise<void> | null = null;
  private summariesCache: RunSummary[] | null = null;
  private readonly lru: EventsLru;
  private readonly checkDamage: boolean;
  private sweeping = false;
  private stamps = 0;
  /** Increments whenever a run appears, disappears or its run.json or events change. */
  version = 0;
  /** Increments whenever the runs table would change: a run appears or goes, a summary or a run's damage changes. */
  listVersion = 0;

  constructor(
    readonly logdir: string,
    options: StoreOptions = {},
  ) {
    this.minRefreshMs = options.minRefreshMs ?? 1000;
    this.staleAfterMs = options.staleAfterMs ?? 30 * 60_000;
    this.maxDepth = options.maxDepth ?? 4;
    this.now = options.now ?? Date.now;
    this.checkDamage = options.checkDamage ?? false;
    this.lru = new EventsLru(options.maxLoadedRuns ?? 200, options.maxLoadedPoints ?? 4_000_000, (id) => {
      const e = this.entries.get(id);
      if (e && !e.eventsLoading) e.events = null;
    });
  }

  /** Whether the logdir has been scanned at least once. */
  get loaded(): boolean {
    return this.lastRefresh > -Infinity;
  }

  /** Runs whose event files the damage check has yet to read. */
  pendingDamageChecks(): number {
    if (!this.checkDamage) return 0;
    return [...this.entries.values()].filter((e) => !e.hidden && !e.damageChecked).length;
  }

  /** Runs whose event data is in memory now. */
  get loadedEventRuns(): number {
    return this.lru.loadedRuns;
  }

  /**
   * Rescans the logdir unless it was scanned less than `minRefreshMs` ago (or `force`). A large
   * logdir is rescanned less often: at most 5% of the time goes to scanning (with `minRefreshMs: 0`
   * every call rescans).
   */
  async refresh(force = false): Promise<void> {
    if (this.refreshing) return this.refreshing;
    const interval = this.minRefreshMs > 0 ? Math.max(this.minRefreshMs, 20 * this.lastScanMs) : 0;
    if (!force && this.now() - this.lastRefresh < interval) return;
    const started = performance.now();
    this.refreshing = this.scan().finally(() => {
      this.lastScanMs = performance.now() - started;
      this.lastRefresh = this.now();
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async scan(): Promise<void> {
    const found = await findRunDirs(this.logdir, this.maxDepth);
    const seen = new Set(found.map((f) => f.id));
    let changed = false;
    for (const id of [...this.entries.keys()]) {
      if (!seen.has(id)) {
        this.entries.delete(id);
        this.lru.forget(id);
        changed = true;
      }
    }
    const load = (f: FoundRun) => (f.kind === 'record' ? this.loadRecord(f.id) : this.loadFromEvents(f.id));
    // A few reads at a time, so the file-system threads stay free for the requests that need them.
    const results = await mapLimit(found, 16, load);
    if (changed || results.some(Boolean)) this.listChanged();
    if (this.checkDamage && !this.sweeping) void this.sweepDamage();
  }

  private listChanged(): void {
    this.version += 1;
    this.listVersion += 1;
    this.summariesCache = null;
  }

  private restamp(e: Entry): void {
    e.stamp = ++this.stamps;
  }

  /** Reads the event files of every run not yet checked, one run at a time, so the runs table can mark damage. */
  private async sweepDamage(): Promise<void> {
    this.sweeping = true;
    try {
      for (const e of [...this.entries.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
        if (e.hidden || e.damageChecked || this.entries.get(e.id) !== e) continue;
        await this.eventsOf(e).catch(() => undefined);
        e.damageChecked = true;
        await nextTurn();
      }
    } finally {
      this.sweeping = false;
    }
  }

  private dirOf(id: string): string {
    return join(this.logdir, ...id.split('/'));
  }

  /** A plain TensorBoard run: its record is rebuilt whenever its event files grew. */
  private async loadFromEvents(id: string): Promise<boolean> {
    let entry = this.entries.get(id);
    if (!entry || entry.kind !== 'events') {
      entry = newEntry(id, 'events', this.dirOf(id));
      this.entries.set(id, entry);
    }
    // Rescanning plain TensorBoard runs costs file reads, so the listing does it less often than pages do.
    if (this.now() - entry.eventsCheckedAt < 5 * this.minRefreshMs) return false;
    if (!entry.events && entry.eventsStamp > 0) {
      // Its event data was let go to bound memory: read it again only when an event file changed.
      const mtime = await latestEventMtime(entry.dir);
      if (mtime === entry.eventsMtimeMs) {
        entry.eventsCheckedAt = this.now();
        return false;
      }
      entry.eventsMtimeMs = mtime;
    }
    const before = entry.eventsStamp;
    const events = await this.eventsOf(entry).catch(() => null);
    if (!events || entry.eventsStamp === before) return false;
    entry.record = recordFromEvents(id, events);
    entry.hidden = events.scalarKeys().length === 0;
    const last = Date.parse(entry.record.endTime ?? '');
    entry.mtimeMs = Number.isFinite(last) ? last : 0;
    entry.summary = null;
    return true;
  }

  /** (Re)reads one run.json when it changed; true when anything about the run changed. */
  private async loadRecord(id: string): Promise<boolean> {
    const dir = this.dirOf(id);
    const file = join(dir, 'run.json');
    const info = await stat(file).catch(() => null);
    if (!info) return false;
    const old = this.entries.get(id);
    let entry = old;
    if (!old || old.mtimeMs !== info.mtimeMs || old.size !== info.size) {
      const read = await readRunJson(file);
      if (read === null) return false;
      entry = { ...newEntry(id, 'record', dir, old), ...parsedRunJson(read, `${id}/run.json`) };
      entry.process = 'text' in read ? runProcessOf(read.text) : null;
      entry.mtimeMs = info.mtimeMs;
      entry.size = info.size;
      this.restamp(entry);
      this.entries.set(id, entry);
    }
    const e = entry!;
    // Only a run that claims to be running and has a quiet run.json needs its event files checked.
    if (e.record.status === 'running' && this.now() - e.mtimeMs > this.staleAfterMs) {
      const eventsMtime = await latestEventMtime(dir);
      if (eventsMtime !== e.eventsMtimeMs) {
        e.eventsMtimeMs = eventsMtime;
        e.summary = null;
      }
    }
    if (e.summary && (e.summary.stale !== this.isStale(e) || e.summary.deadReason !== this.deadReason(e))) {
      e.summary = null;
    }
    if (e === old && e.summary === null) this.restamp(e);
    return e !== old || e.summary === null;
  }

  private isStale(e: Entry): boolean {
    const quietMs = this.now() - Math.max(e.mtimeMs, e.eventsMtimeMs);
    return e.record.status === 'running' && (quietMs > this.staleAfterMs || runProcessGone(e.record));
  }

  private deadReason(e: Entry): string | null {
    if (e.record.status !== 'running' || !e.process) return null;
    return deathReason({ process: e.process, nowMs: this.now(), thisHost: hostname(), isAlive: pidAlive });
  }

  private summaryOf(e: Entry): RunSummary {
    e.summary ??= summarize({
      id: e.id,
      record: e.record,
      warnings: e.warnings,
      lastUpdateMs: Math.max(e.mtimeMs, e.eventsMtimeMs),
      nowMs: this.now(),
      staleAfterMs: this.staleAfterMs,
      deadReason: this.deadReason(e),
    });
    if (!e.summary.stale && this.isStale(e)) e.summary = { ...e.summary, stale: true };
    return e.summary;
  }

  /** Summaries of every run, sorted by id. */
  summaries(): RunSummary[] {
    this.summariesCache ??= [...this.entries.values()]
      .filter((e) => !e.hidden)
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((e) => this.summaryOf(e));
    return this.summariesCache;
  }

  private visible(id: string): Entry | undefined {
    const e = this.entries.get(id);
    return e && !e.hidden ? e : undefined;
  }

  has(id: string): boolean {
    return this.visible(id) !== undefined;
  }

  summary(id: string): RunSummary | undefined {
    const e = this.visible(id);
    return e ? this.summaryOf(e) : undefined;
  }

  record(id: string): RunRecord | undefined {
    return this.visible(id)?.record;
  }

  /** Changes whenever anything about the run changes (run.json, its event files, its damage); undefined if unknown. */
  revisionOf(id: string): number | undefined {
    return this.visible(id)?.stamp;
  }

  /** Damaged stretches found in the run's event files (as far as they have been read). */
  damage(id: string): DamageWarning[] {
    return this.visible(id)?.damage ?? [];
  }

  /** Whether the run's event data is in memory (then `events` answers at once, re-reading in the background). */
  eventsLoaded(id: string): boolean {
    return this.visible(id)?.events != null;
  }

  /** The run's event files, read up to now (at most every `minRefreshMs`). */
  async events(id: string): Promise<RunEvents | undefined> {
    const e = this.visible(id);
    return e ? this.eventsOf(e) : undefined;
  }

  private async eventsOf(e: Entry): Promise<RunEvents> {
    if (e.eventsLoading) return e.eventsLoading;
    if (e.events) this.lru.touch(e.id, e.eventsPoints);
    if (e.events && this.now() - e.eventsCheckedAt < this.minRefreshMs) return e.events;
    const events = e.events ?? new RunEvents(e.dir, e.kind === 'events' ? KERAS_SUBRUNS : undefined, this.logdir);
    e.eventsLoading = events.update().then(
      (changed) => {
        e.events = events;
        e.eventsCheckedAt = this.now();
        e.eventsLoading = null;
        e.damageChecked = true;
        if (changed) this.eventsChanged(e, events);
        this.lru.touch(e.id, e.eventsPoints);
        return events;
      },
      (err: unknown) => {
        e.eventsLoading = null;
        throw err;
      },
    );
    return e.eventsLoading;
  }

  private eventsChanged(e: Entry, events: RunEvents): void {
    this.version += 1;
    this.restamp(e);
    e.eventsStamp = e.stamp;
    e.eventsPoints = events.scalarPointCount();
    const damage = events.damage();
    if (JSON.stringify(damage) !== JSON.stringify(e.damage)) {
      e.damage = damage;
      this.listChanged();
    }
  }
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
