import type { HParamsData, ScalarPoint } from '../../tensorboard/index.ts';
import type { HistoryEntry, LenientRunRecord as RunRecord } from '../../run/record.ts';
import type { RunEvents } from './run-events.ts';

// Runs written by plain Keras/TensorBoard (no run.json) get a record built from their event files,
// so the table, comparison and diff (of HParams) work for any TensorBoard log directory.

type SeriesField = 'trainAccuracy' | 'trainLoss' | 'valAccuracy' | 'valLoss';

/** The keys Keras versions have used for each epoch metric, most common first. */
const SERIES: Record<SeriesField, string[]> = {
  trainAccuracy: [
    'train/epoch_accuracy',
    'train/epoch_acc',
    'train/epoch_sparse_categorical_accuracy',
    'train/epoch_categorical_accuracy',
    'epoch_accuracy',
  ],
  trainLoss: ['train/epoch_loss', 'epoch_loss'],
  valAccuracy: [
    'validation/epoch_accuracy',
    'validation/epoch_acc',
    'validation/epoch_sparse_categorical_accuracy',
    'validation/epoch_categorical_accuracy',
    'epoch_val_accuracy',
  ],
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

/** One history entry per step that any of the epoch series has a value for. */
function historyOf(series: Record<SeriesField, ScalarPoint[]>): HistoryEntry[] {
  const byEpoch = new Map<number, HistoryEntry>();
  for (const [field, points] of Object.entries(series) as [SeriesField, ScalarPoint[]][]) {
    for (const p of points) {
      const h = byEpoch.get(p.step) ?? { epoch: p.step, wallTime: p.wallTime };
      h[field] = p.value;
      h.wallTime = Math.max(h.wallTime ?? 0, p.wallTime);
      byEpoch.set(p.step, h);
    }
  }
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}

/** The first and last wall time (seconds) of any scalar; non-finite when there are none. */
function timeSpan(events: RunEvents): { start: number; end: number } {
  let start = Infinity;
  let end = -Infinity;
  for (const key of events.scalarKeys()) {
    const points = events.scalars(key);
    if (points.length === 0) continue;
    start = Math.min(start, points[0].wallTime);
    end = Math.max(end, points[points.length - 1].wallTime);
  }
  return { start, end };
}

function statusOf(hp: HParamsData): RunRecord['status'] {
  const ended = hp.sessionEnd?.status;
  if (ended === 'success') return 'success';
  if (ended === 'failure') return 'failed';
  return ended === 'running' ? 'running' : undefined;
}

export function recordFromEvents(id: string, events: RunEvents): RunRecord {
  const segments = id.split('/');
  const fields = Object.entries(SERIES).map(([field, keys]) => [field, first(events, keys)]);
  const series = Object.fromEntries(fields) as Record<SeriesField, ScalarPoint[]>;
  const history = historyOf(series);
  let best: RunRecord['best'] = null;
  for (const p of series.valAccuracy) {
    if (!best || p.value > best.valAccuracy) best = { epoch: p.step, valAccuracy: p.value };
  }
  const { start, end } = timeSpan(events);
  const hp = events.hparams();
  const last = history[history.length - 1];
  const test = events.scalars('test/accuracy').at(-1)?.value;
  return {
    id,
    experiment: segments.length > 1 ? segments.slice(0, -1).join('/') : segments[0],
    name: segments[segments.length - 1],
    status: statusOf(hp),
    definition: hp.sessionStart ? { hparams: hp.sessionStart.hparams } : undefined,
    notes: 'read from the event files (this run has no run.json)',
    startTime: Number.isFinite(start) ? iso(hp.sessionStart?.startTimeSecs || start) : null,
    endTime: Number.isFinite(end) ? iso(hp.sessionEnd?.endTimeSecs || end) : null,
    epochs: { planned: null, completed: history.length },
    best,
    final: last
      ? {
          trainAccuracy: last.trainAccuracy,
          trainLoss: last.trainLoss,
          valAccuracy: last.valAccuracy,
          valLoss: last.valLoss,
          testAccuracy: test,
        }
      : null,
    history,
  };
}
