import type { ScalarPoint } from './event-source.ts';
import type { RunEvents } from './run-events.ts';
import type { HistoryEntry, LenientRunRecord as RunRecord } from '../run/record.ts';

// Runs written by plain Keras/TensorBoard (no run.json) get a record built from their event files,
// so the table, comparison and diff (of HParams) work for any TensorBoard log directory.

const SERIES: Record<'trainAccuracy' | 'trainLoss' | 'valAccuracy' | 'valLoss', string[]> = {
  trainAccuracy: ['train/epoch_accuracy', 'train/epoch_acc', 'train/epoch_sparse_categorical_accuracy', 'train/epoch_categorical_accuracy', 'epoch_accuracy'],
  trainLoss: ['train/epoch_loss', 'epoch_loss'],
  valAccuracy: ['validation/epoch_accuracy', 'validation/epoch_acc', 'validation/epoch_sparse_categorical_accuracy', 'validation/epoch_categorical_accuracy', 'epoch_val_accuracy'],
  valLoss: ['validation/epoch_loss', 'epoch_val_loss'],
};

function first(events: RunEvents, keys: string[]): ScalarPoint[] {
  for (const key of keys) {
    const points = events.scalars(key);
    if (points.length > 0) return points;
  }
  return [];
}

const iso = (secs: number) => new Date(secs * 1000).toISOString();

export function recordFromEvents(id: string, events: RunEvents): RunRecord {
  const segments = id.split('/');
  const series = Object.fromEntries(Object.entries(SERIES).map(([field, keys]) => [field, first(events, keys)])) as Record<keyof typeof SERIES, ScalarPoint[]>;
  const byEpoch = new Map<number, HistoryEntry>();
  for (const [field, points] of Object.entries(series) as [keyof typeof SERIES, ScalarPoint[]][]) {
    for (const p of points) {
      const h = byEpoch.get(p.step) ?? { epoch: p.step, wallTime: p.wallTime };
      h[field] = p.value;
      h.wallTime = Math.max(h.wallTime ?? 0, p.wallTime);
      byEpoch.set(p.step, h);
    }
  }
  const history = [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
  let best: RunRecord['best'] = null;
  for (const p of series.valAccuracy) if (!best || p.value > best.valAccuracy) best = { epoch: p.step, valAccuracy: p.value };
  let start = Infinity;
  let end = -Infinity;
  for (const key of events.scalarKeys()) {
    const points = events.scalars(key);
    if (points.length === 0) continue;
    start = Math.min(start, points[0].wallTime);
    end = Math.max(end, points[points.length - 1].wallTime);
  }
  const hp = events.hparams();
  const ended = hp.sessionEnd?.status;
  const status = ended === 'success' ? 'success' : ended === 'failure' ? 'failed' : ended === 'running' ? 'running' : undefined;
  const last = history[history.length - 1];
  const test = events.scalars('test/accuracy').at(-1)?.value;
  return {
    id,
    experiment: segments.length > 1 ? segments.slice(0, -1).join('/') : segments[0],
    name: segments[segments.length - 1],
    status,
    definition: hp.sessionStart ? { hparams: hp.sessionStart.hparams } : undefined,
    notes: 'read from the event files (this run has no run.json)',
    startTime: Number.isFinite(start) ? iso(hp.sessionStart?.startTimeSecs || start) : null,
    endTime: Number.isFinite(end) ? iso(hp.sessionEnd?.endTimeSecs || end) : null,
    epochs: { planned: null, completed: history.length },
    best,
    final: last ? { trainAccuracy: last.trainAccuracy, trainLoss: last.trainLoss, valAccuracy: last.valAccuracy, valLoss: last.valLoss, testAccuracy: test } : null,
    history,
  };
}
