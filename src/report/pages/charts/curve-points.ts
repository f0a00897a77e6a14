import type { ScalarPoint } from '../../../tensorboard/index.ts';
import type { HistoryEntry, RunRecord } from '../../run-record.ts';
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

/** Evenly spaced points (first and last kept) so a 10,000-step curve stays light. */
export function downsample<T>(points: readonly T[], max: number): T[] {
  if (points.length <= max) return points.slice();
  const out: T[] = [];
  const stride = (points.length - 1) / (max - 1);
  for (let i = 0; i < max; i++) out.push(points[Math.round(i * stride)]);
  return out;
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
      for (const p of downsample(series, maxPoints)) {
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
  const order = ['data', 'model', 'features', 'train', 'evaluate'];
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
