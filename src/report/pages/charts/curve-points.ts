import type { ScalarPoint } from '../../../tensorboard/index.ts';
import { tbSmooth } from '../../metrics/smoothing.ts';
import type { HistoryEntry, LenientRunRecord as RunRecord } from '../../../run/record.ts';
import type { RunEvents } from '../../store/run-events.ts';
import type { LinePoint } from './line-chart.ts';
import type { MetricGroup } from './metric-groups.ts';

export type XAxis = 'step' | 'relative' | 'wall';

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

export interface CurveRun {
  label: string;
  record: RunRecord;
  events?: RunEvents;
}

interface GroupPoints {
  points: LinePoint[];
  xTitle: string;
  xType: 'quantitative' | 'temporal';
}

interface Collected {
  label: string;
  split: string;
  series: ScalarPoint[];
}

const RELATIVE_UNITS = [
  { limit: 120, div: 1, name: 'seconds' },
  { limit: 2 * 3600, div: 60, name: 'minutes' },
  { limit: Infinity, div: 3600, name: 'hours' },
];

/** The unit of a relative-time axis: seconds, minutes or hours, by the longest series. */
function relativeUnit(collected: Collected[], xAxis: XAxis) {
  let longest = 0;
  if (xAxis === 'relative') {
    for (const { series } of collected) {
      longest = Math.max(longest, series[series.length - 1].wallTime - series[0].wallTime);
    }
  }
  return RELATIVE_UNITS.find((u) => longest < u.limit)!;
}

function axisTitle(xAxis: XAxis, group: MetricGroup, unitName: string): string {
  if (xAxis === 'step') return group.per === 'epoch' ? 'epoch' : 'optimizer step';
  return xAxis === 'relative' ? `relative time (${unitName})` : 'wall time';
}

/** The smoothed, downsampled points of one chart; a time axis falls back to steps when a series lacks wall times. */
export function groupPoints(
  runs: CurveRun[],
  group: MetricGroup,
  opts: { smoothing: number; xAxis: XAxis; maxPoints?: number },
): GroupPoints {
  const collected: Collected[] = runs.flatMap((run) =>
    group.keys
      .map((key) => ({ label: run.label, split: key.split, series: seriesFor(run.record, run.events, key) }))
      .filter((c) => c.series.length > 0),
  );
  const timed = collected.every((c) => c.series.every((p) => Number.isFinite(p.wallTime)));
  const xAxis = opts.xAxis === 'step' || timed ? opts.xAxis : 'step';
  const unit = relativeUnit(collected, xAxis);
  const points: LinePoint[] = [];
  for (const c of collected) {
    const smoothed = tbSmooth(
      c.series.map((p) => p.value),
      opts.smoothing,
    );
    const origin = c.series[0].wallTime;
    const all = c.series.map((_, i) => i);
    for (const i of downsample(all, opts.maxPoints ?? 600, (j) => c.series[j].value)) {
      const p = c.series[i];
      const x = xAxis === 'step' ? p.step : xAxis === 'relative' ? (p.wallTime - origin) / unit.div : p.wallTime * 1000;
      const y = smoothed[i];
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      points.push({ series: c.label, split: c.split, x, y, raw: p.value });
    }
  }
  return { points, xTitle: axisTitle(xAxis, group, unit.name), xType: xAxis === 'wall' ? 'temporal' : 'quantitative' };
}
