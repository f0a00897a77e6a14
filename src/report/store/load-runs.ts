import type { RunSummary } from '../metrics/run-summary.ts';
import type { LenientRunRecord as RunRecord } from '../../run/record.ts';
import type { RunEvents } from './run-events.ts';
import type { RunStore } from './run-store.ts';

/** One run as pages and exports use it: its summary, its run.json (or rebuilt record) and its events. */
export interface LoadedRun {
  summary: RunSummary;
  record: RunRecord;
  events?: RunEvents;
}

/**
 * The known runs among `ids`, in that order (unknown ids are left out). A run whose event files
 * cannot be read is still returned, without events.
 */
export async function loadRuns(store: RunStore, ids: readonly string[]): Promise<LoadedRun[]> {
  const out: LoadedRun[] = [];
  for (const id of ids) {
    const summary = store.summary(id);
    const record = store.record(id);
    if (!summary || !record) continue;
    const events = await store.events(id).catch(() => undefined);
    out.push({ summary, record, events });
  }
  return out;
}
