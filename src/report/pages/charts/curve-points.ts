import type { ScalarPoint } from '../../../tensorboard/index.ts';
import type { HistoryEntry, LenientRunRecord as RunRecord } from '../../../run/record.ts';
import type { RunEvents } from '../../store/run-events.ts';
import type { MetricGroup } from './metric-groups.ts';

export type XAxis = 'step' | 'relative' | 'wall';

/** Epoch scalars are logged 0-based (Keras); pages show epochs 1-based like the terminal. */
const epochShown = (epoch: number) => epoch + 1;

function historySeries(record: RunRecord, field: keyof HistoryEntry): ScalarPoint[] {
  const out: ScalarPoint[] = [];
  for (const h of record.history ?? []) {
    const v = h[field];
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    // wallTime is in seconds like event files; tolerate milliseconds.
    const wall = typeof h.wallTime === 'number' ? (h.wallTime > 1e11 ? h.wallTime / 1000 : h.wallTime) : NaN;
    out.push({ step: h.epoch, wallTime: wall, value: v });
  }
  return out;
}

/** A scalar series from the event files, else (for epoch metrics) from run.json's history. */
function seriesFor(record: RunRecord, events: RunEvents | undefined, key: MetricGroup['keys'][number]): ScalarPoint[] {
  const fromEvents = events?.scalars(key.key) ?? [];
  if (fromEvents.length > 0) return fromEvents;
  return key.history ? historySeries(record, key.history) : [];
}

/**
 * At most `max` points so a 10,000-step curve stays a light path: evenly spaced, or with `value`,
 * the lowest and highest point of each of `(max - 2) / 2` stretches, so the true first, last, minimum and
 * maximum (a loss spike) are always drawn.
 */
export function downsample<T>(points: readonly T[], max: number, value?: (p: T) => number): T[] {
  if (points.length <= max) return points.slice();
  if (!value) {
    const stride = (points.length - 1) / (max - 1);
    return Array.from({ length: max }, (_, i) => points[Math.round(i * stride)]);
  }
  const buckets = Math.max(1, Math.floor((max - 2) / 2));
  const keep = new Set<number>([0, points.length - 1]);
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor((b * points.length) / buckets);
    const to = Math.floor(((b + 1) * points.length) / buckets);
    let lo = from;
    let hi = from;
    for (let i = from + 1; i < to; i++) {
      if (value(points[i]) < value(points[lo])) lo = i;
      if (value(points[i]) > value(points[hi])) hi = i;
    }
    keep.add(lo).add(hi);
  }
  return [...keep].sort((a, b) => a - b).map((i) => points[i]);
}

/** A run as a chart sees it: who it is, how it looks, which group it belongs to, and its data. */
export interface CurveRun {
  id: string;
  name: string;
  color: string;
  group: string;
  record: RunRecord;
  events?: RunEvents;
}

/** One point of one series; x is chosen in the browser (step, seconds since start, or wall time). */
export interface ChartPoint {
  run: string;
  name: string;
  group: string;
  split: string;
  step: number;
  /** Seconds since the run's start (run.json startTime), so feature extraction counts. */
  rel: number | null;
  /** Wall time, ms since the epoch. */
  wall: number | null;
  value: number;
}

function startSeconds(record: RunRecord, series: ScalarPoint[]): number {
  const t = Date.parse(record.startTime ?? '');
  return Number.isFinite(t) ? t / 1000 : series[0].wallTime;
}

/** The raw points of a chart (smoothing happens in the browser) and a note per series with too few points. */
export function chartPoints(runs: CurveRun[], group: MetricGroup, maxPoints = 600) {
  const points: ChartPoint[] = [];
  const notes: string[] = [];
  for (const run of runs) {
    for (const key of group.keys) {
      const series = seriesFor(run.record, run.events, key).filter((p) => Number.isFinite(p.value));
      if (series.length === 0) continue;
      if (series.length < 2) notes.push(`${run.name} (${key.split}): only one point, no line drawn`);
      const origin = startSeconds(run.record, series);
      for (const p of downsample(series, maxPoints, (q) => q.value)) {
        const timed = Number.isFinite(p.wallTime);
        points.push({
          run: run.id,
          name: run.name,
          group: run.group,
          split: key.split,
          step: group.per === 'epoch' ? epochShown(p.step) : p.step,
          rel: timed ? Math.max(0, p.wallTime - origin) : null,
          wall: timed ? p.wallTime * 1000 : null,
          value: p.value,
        });
      }
    }
  }
  return { points, notes };
}

/** When each run's phases ended, in seconds since its start (drawn on the relative-time axis). */
export function phaseMarks(runs: CurveRun[]) {
  const order = ['data', 'model', 'features', 'train', 'evaluate'] as const;
  return runs.flatMap((run) => {
    const phases = run.record.phases ?? {};
    let at = 0;
    return order.flatMap((phase) => {
      const seconds = phases[phase];
      if (typeof seconds !== 'number' || seconds <= 0) return [];
      at += seconds;
      return [{ run: run.id, name: run.name, phase, rel: at, label: `${phase} done` }];
    });
  });
}
