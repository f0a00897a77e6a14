// src/report/store/: what is in a log directory — the runs (run.json, or event files alone) and
// their event data, loaded once and then incrementally. May import src/tensorboard, report/metrics
// and the run.json schema; never src/train, pages, export or server.
import { readFile, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { deathReason, pidAlive, runProcessOf, type RunProcess } from '../metrics/liveness.ts';
import { summarize, type RunSummary } from '../metrics/run-summary.ts';
import { parseRunRecord, type RunRecord } from '../run-record.ts';
import { recordFromEvents } from './record-from-events.ts';
import { RunEvents } from './run-events.ts';
import { findRunDirs, latestEventMtime, type FoundRun } from './scan-logdir.ts';

interface StoreOptions {
  /** Rescan the logdir at most this often (ms); requests in between use what is loaded. */
  minRefreshMs?: number;
  /** A running run with no change to run.json or its event files for this long is shown as stale. */
  staleAfterMs?: number;
  /** How deep run.json files are looked for below the logdir (`<experiment>/<run>` is depth 2). */
  maxDepth?: number;
  now?: () => number;
}

interface Entry {
  id: string;
  kind: FoundRun['kind'];
  /** An events-only directory without scalars (e.g. just an HParams experiment summary): not a run to show. */
  hidden: boolean;
  eventsRevision: number;
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
const KERAS_SUBRUNS: ReadonlySet<string> = new Set(['.', 'train', 'validation']);

function newEntry(id: string, kind: FoundRun['kind'], dir: string, old?: Entry): Entry {
  return {
    id,
    kind,
    hidden: kind === 'events',
    eventsRevision: -1,
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
 * parses the event files of the others.
 */
export class RunStore {
  private readonly minRefreshMs: number;
  private readonly staleAfterMs: number;
  private readonly maxDepth: number;
  private readonly now: () => number;
  private readonly entries = new Map<string, Entry>();
  private lastRefresh = -Infinity;
  private refreshing: Promise<void> | null = null;
  private summariesCache: RunSummary[] | null = null;
  /** Increments whenever a run appears, disappears or its run.json or events change. */
  version = 0;

  constructor(
    readonly logdir: string,
    options: StoreOptions = {},
  ) {
    this.minRefreshMs = options.minRefreshMs ?? 1000;
    this.staleAfterMs = options.staleAfterMs ?? 30 * 60_000;
    this.maxDepth = options.maxDepth ?? 4;
    this.now = options.now ?? Date.now;
  }

  /** Rescans the logdir unless it was scanned less than `minRefreshMs` ago (or `force`). */
  async refresh(force = false): Promise<void> {
    if (this.refreshing) return this.refreshing;
    if (!force && this.now() - this.lastRefresh < this.minRefreshMs) return;
    this.refreshing = this.scan().finally(() => {
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
        changed = true;
      }
    }
    const load = (f: FoundRun) => (f.kind === 'record' ? this.loadRecord(f.id) : this.loadFromEvents(f.id));
    const results = await mapLimit(found, 64, load);
    if (changed || results.some(Boolean)) {
      this.version += 1;
      this.summariesCache = null;
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
    if (entry.events && this.now() - entry.eventsCheckedAt < 5 * this.minRefreshMs) return false;
    const events = await this.eventsOf(entry).catch(() => null);
    if (!events || events.revision === entry.eventsRevision) return false;
    entry.eventsRevision = events.revision;
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
      const text = await readFile(file, 'utf8').catch(() => null);
      if (text === null) return false;
      entry = { ...newEntry(id, 'record', dir, old), ...parseRunRecord(text, `${id}/run.json`) };
      entry.process = runProcessOf(text);
      entry.mtimeMs = info.mtimeMs;
      entry.size = info.size;
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
    return e !== old || e.summary === null;
  }

  private isStale(e: Entry): boolean {
    const quietMs = this.now() - Math.max(e.mtimeMs, e.eventsMtimeMs);
    return e.record.status === 'running' && quietMs > this.staleAfterMs;
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

  /** The run's event files, read up to now (at most every `minRefreshMs`). */
  async events(id: string): Promise<RunEvents | undefined> {
    const e = this.visible(id);
    return e ? this.eventsOf(e) : undefined;
  }

  private async eventsOf(e: Entry): Promise<RunEvents> {
    if (e.eventsLoading) return e.eventsLoading;
    if (e.events && this.now() - e.eventsCheckedAt < this.minRefreshMs) return e.events;
    const events = e.events ?? new RunEvents(e.dir, e.kind === 'events' ? KERAS_SUBRUNS : undefined);
    e.eventsLoading = events.update().then(
      (changed) => {
        e.events = events;
        e.eventsCheckedAt = this.now();
        e.eventsLoading = null;
        if (changed) this.version += 1;
        return events;
      },
      (err: unknown) => {
        e.eventsLoading = null;
        throw err;
      },
    );
    return e.eventsLoading;
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
