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

/** Evenly spaced points (first and last kept) so a 10,000-step curve stays a light SVG path. */
export function downsample<T>(points: readonly T[], max: number): T[] {
  if (points.length <= max) return points.slice();
  const out: T[] = [];
  const stride = (points.length - 1) / (max - 1);
  for (let i = 0; i < max; i++) out.push(points[Math.round(i * stride)]);
  return out;
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
    for (const i of downsample(
      c.series.map((_, i) => i),
      opts.maxPoints ?? 600,
    )) {
      const p = c.series[i];
      const x = xAxis === 'step' ? p.step : xAxis === 'relative' ? (p.wallTime - origin) / unit.div : p.wallTime * 1000;
      const y = smoothed[i];
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      points.push({ series: c.label, split: c.split, x, y, raw: p.value });
    }
  }
  return { points, xTitle: axisTitle(xAxis, group, unit.name), xType: xAxis === 'wall' ? 'temporal' : 'quantitative' };
}
