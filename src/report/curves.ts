import type { ScalarPoint } from './event-source.ts';
import type { LinePoint } from './charts.ts';
import type { RunEvents } from './run-events.ts';
import type { HistoryEntry, LenientRunRecord as RunRecord } from '../run/record.ts';
import { tbSmooth } from './smoothing.ts';

export type XAxis = 'step' | 'relative' | 'wall';

export interface MetricGroup {
  id: string;
  title: string;
  yTitle: string;
  per: 'epoch' | 'step';
  yFormat?: string;
  /** Series keys (see RunEvents) with the split they show and the run.json history field to fall back on. */
  keys: { key: string; split: string; history?: keyof HistoryEntry }[];
}

export const METRIC_GROUPS: MetricGroup[] = [
  { id: 'accuracy', title: 'Accuracy per epoch', yTitle: 'accuracy', per: 'epoch', yFormat: '.0%', keys: [
    { key: 'train/epoch_accuracy', split: 'train', history: 'trainAccuracy' },
    { key: 'validation/epoch_accuracy', split: 'validation', history: 'valAccuracy' },
  ] },
  { id: 'loss', title: 'Loss per epoch', yTitle: 'loss', per: 'epoch', keys: [
    { key: 'train/epoch_loss', split: 'train', history: 'trainLoss' },
    { key: 'validation/epoch_loss', split: 'validation', history: 'valLoss' },
  ] },
  { id: 'batch_loss', title: 'Training loss per optimizer step', yTitle: 'loss', per: 'step', keys: [{ key: 'train/batch_loss', split: 'train' }] },
  { id: 'batch_accuracy', title: 'Training accuracy per optimizer step', yTitle: 'accuracy', per: 'step', yFormat: '.0%', keys: [{ key: 'train/batch_accuracy', split: 'train' }] },
  { id: 'eval_accuracy', title: 'Validation accuracy vs iterations', yTitle: 'accuracy', per: 'step', yFormat: '.0%', keys: [{ key: 'validation/evaluation_accuracy_vs_iterations', split: 'validation' }] },
  { id: 'eval_loss', title: 'Validation loss vs iterations', yTitle: 'loss', per: 'step', keys: [{ key: 'validation/evaluation_loss_vs_iterations', split: 'validation' }] },
  { id: 'learning_rate', title: 'Learning rate', yTitle: 'learning rate', per: 'epoch', yFormat: '.2~e', keys: [{ key: 'train/epoch_learning_rate', split: 'train', history: 'learningRate' }] },
  { id: 'throughput', title: 'Training throughput', yTitle: 'images / s', per: 'epoch', keys: [{ key: 'train/epoch_images_per_second', split: 'train', history: 'imagesPerSecond' }] },
];

function historySeries(record: RunRecord, field: keyof HistoryEntry): ScalarPoint[] {
  const out: ScalarPoint[] = [];
  for (const h of record.history ?? []) {
    const v = h[field];
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    const wall = typeof h.wallTime === 'number' ? (h.wallTime > 1e11 ? h.wallTime / 1000 : h.wallTime) : NaN;
    out.push({ step: h.epoch, wallTime: wall, value: v });
  }
  return out;
}

/** A scalar series from the event files, else (for epoch metrics) from run.json's history. */
export function seriesFor(record: RunRecord, events: RunEvents | undefined, key: MetricGroup['keys'][number]): ScalarPoint[] {
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

export interface CurveRun { label: string; record: RunRecord; events?: RunEvents }

export interface GroupPoints {
  points: LinePoint[];
  xTitle: string;
  xType: 'quantitative' | 'temporal';
}

const RELATIVE_UNITS = [
  { limit: 120, div: 1, name: 'seconds' },
  { limit: 2 * 3600, div: 60, name: 'minutes' },
  { limit: Infinity, div: 3600, name: 'hours' },
];

export function groupPoints(runs: CurveRun[], group: MetricGroup, opts: { smoothing: number; xAxis: XAxis; maxPoints?: number }): GroupPoints {
  const collected: { label: string; split: string; series: ScalarPoint[] }[] = [];
  for (const run of runs) {
    for (const key of group.keys) {
      const series = seriesFor(run.record, run.events, key);
      if (series.length > 0) collected.push({ label: run.label, split: key.split, series });
    }
  }
  const xAxis = opts.xAxis === 'step' || collected.every((c) => c.series.every((p) => Number.isFinite(p.wallTime))) ? opts.xAxis : 'step';
  let maxRelative = 0;
  if (xAxis === 'relative') {
    for (const c of collected) maxRelative = Math.max(maxRelative, c.series[c.series.length - 1].wallTime - c.series[0].wallTime);
  }
  const unit = RELATIVE_UNITS.find((u) => maxRelative < u.limit)!;
  const points: LinePoint[] = [];
  for (const c of collected) {
    const smoothed = tbSmooth(c.series.map((p) => p.value), opts.smoothing);
    const origin = c.series[0].wallTime;
    const idx = downsample(c.series.map((_, i) => i), opts.maxPoints ?? 600);
    for (const i of idx) {
      const p = c.series[i];
      const x = xAxis === 'step' ? p.step : xAxis === 'relative' ? (p.wallTime - origin) / unit.div : p.wallTime * 1000;
      const y = smoothed[i];
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      points.push({ series: c.label, split: c.split, x, y, raw: p.value });
    }
  }
  const xTitle = xAxis === 'step' ? (group.per === 'epoch' ? 'epoch' : 'optimizer step') : xAxis === 'relative' ? `relative time (${unit.name})` : 'wall time';
  return { points, xTitle, xType: xAxis === 'wall' ? 'temporal' : 'quantitative' };
}
