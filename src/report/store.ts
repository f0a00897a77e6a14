import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventSource } from './event-source.ts';
import { RunEvents } from './run-events.ts';
import { parseRunRecord, type RunRecord } from './run-record.ts';
import { summarize, type RunSummary } from './summary.ts';

export interface StoreOptions {
  /** Event-file access; defaults to src/tensorboard's reader. */
  source: EventSource;
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
  dir: string;
  record: RunRecord;
  warnings: string[];
  mtimeMs: number;
  size: number;
  eventsMtimeMs: number;
  summary: RunSummary | null;
  events: RunEvents | null;
  eventsCheckedAt: number;
  eventsLoading: Promise<RunEvents> | null;
}

/**
 * Every run (a directory holding run.json) under a logdir. run.json files are re-read only when
 * their mtime or size changes; event files are opened lazily per run on first use and then read
 * incrementally, so a page that shows a few runs never parses the event files of the others.
 */
export class RunStore {
  readonly logdir: string;
  private readonly source: EventSource;
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

  constructor(logdir: string, options: StoreOptions) {
    this.logdir = logdir;
    this.source = options.source;
    this.minRefreshMs = options.minRefreshMs ?? 1000;
    this.staleAfterMs = options.staleAfterMs ?? 15 * 60_000;
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
    const ids = await this.findRunDirs();
    const seen = new Set(ids);
    let changed = false;
    for (const id of [...this.entries.keys()]) {
      if (!seen.has(id)) {
        this.entries.delete(id);
        changed = true;
      }
    }
    const results = await mapLimit(ids, 64, (id) => this.load(id));
    if (changed || results.some(Boolean)) {
      this.version += 1;
      this.summariesCache = null;
    }
  }

  private async findRunDirs(): Promise<string[]> {
    const found: string[] = [];
    const walk = async (rel: string, depth: number): Promise<void> => {
      let dirents;
      try {
        dirents = await readdir(rel ? join(this.logdir, rel) : this.logdir, { withFileTypes: true });
      } catch {
        return;
      }
      if (rel && dirents.some((d) => d.name === 'run.json' && d.isFile())) {
        found.push(rel);
        return;
      }
      if (depth >= this.maxDepth) return;
      // Symbolic links are not followed: everything shown lies inside the logdir.
      const dirs = dirents.filter((d) => d.isDirectory() && !d.name.startsWith('.'));
      await Promise.all(dirs.map((d) => walk(rel ? `${rel}/${d.name}` : d.name, depth + 1)));
    };
    await walk('', 0);
    return found.sort();
  }

  /** (Re)reads one run.json when it changed; true when anything about the run changed. */
  private async load(id: string): Promise<boolean> {
    const dir = join(this.logdir, ...id.split('/'));
    const file = join(dir, 'run.json');
    let info;
    try {
      info = await stat(file);
    } catch {
      return false;
    }
    const old = this.entries.get(id);
    let entry = old;
    if (!old || old.mtimeMs !== info.mtimeMs || old.size !== info.size) {
      const text = await readFile(file, 'utf8').catch(() => null);
      if (text === null) return false;
      const { record, warnings } = parseRunRecord(text, `${id}/run.json`);
      entry = {
        id, dir, record, warnings, mtimeMs: info.mtimeMs, size: info.size,
        eventsMtimeMs: old?.eventsMtimeMs ?? 0, summary: null,
        events: old?.events ?? null, eventsCheckedAt: old?.eventsCheckedAt ?? -Infinity, eventsLoading: null,
      };
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
    const wasStale = e.summary?.stale;
    if (e.summary && wasStale !== this.isStale(e)) e.summary = null;
    return e !== old || e.summary === null;
  }

  private isStale(e: Entry): boolean {
    return e.record.status === 'running' && this.now() - Math.max(e.mtimeMs, e.eventsMtimeMs) > this.staleAfterMs;
  }

  private summaryOf(e: Entry): RunSummary {
    e.summary ??= summarize({
      id: e.id, record: e.record, warnings: e.warnings,
      lastUpdateMs: Math.max(e.mtimeMs, e.eventsMtimeMs), nowMs: this.now(), staleAfterMs: this.staleAfterMs,
    });
    return e.summary;
  }

  /** Summaries of every run, sorted by id. */
  summaries(): RunSummary[] {
    this.summariesCache ??= [...this.entries.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).map((e) => this.summaryOf(e));
    return this.summariesCache;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  summary(id: string): RunSummary | undefined {
    const e = this.entries.get(id);
    return e ? this.summaryOf(e) : undefined;
  }

  record(id: string): RunRecord | undefined {
    return this.entries.get(id)?.record;
  }

  /** The run's event files, read up to now (at most every `minRefreshMs`). */
  async events(id: string): Promise<RunEvents | undefined> {
    const e = this.entries.get(id);
    if (!e) return undefined;
    if (e.eventsLoading) return e.eventsLoading;
    if (e.events && this.now() - e.eventsCheckedAt < this.minRefreshMs) return e.events;
    const events = e.events ?? new RunEvents(e.dir, this.source);
    e.eventsLoading = events.update().then((changed) => {
      e.events = events;
      e.eventsCheckedAt = this.now();
      e.eventsLoading = null;
      if (changed) this.version += 1;
      return events;
    }, (err: unknown) => {
      e.eventsLoading = null;
      throw err;
    });
    return e.eventsLoading;
  }
}

async function latestEventMtime(dir: string): Promise<number> {
  let latest = 0;
  for (const sub of ['', 'train', 'validation']) {
    const d = sub ? join(dir, sub) : dir;
    const names = await readdir(d).catch(() => [] as string[]);
    for (const name of names) {
      if (!name.includes('tfevents')) continue;
      const s = await stat(join(d, name)).catch(() => null);
      if (s && s.mtimeMs > latest) latest = s.mtimeMs;
    }
  }
  return latest;
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
