// src/report/pages/: the view models of the runs, run and compare pages, the charts they show
// (vega-lite specs: drawn in the browser, a few rendered to SVG), the links between pages and the
// Handlebars setup — shared by the live site (src/server) and the static export. May import
// report/store, report/metrics and src/tensorboard; never src/train, export or server.
import type { CostAxis } from '../metrics/cost-quality.ts';
import { parseGroupBy, DEFAULT_GROUP_BY, type GroupBy } from '../metrics/groups.ts';
import type { StudyCost } from '../metrics/study.ts';
import type { RunStore } from '../store/run-store.ts';
import type { SvgCache } from './charts/svg-cache.ts';
import type { XAxis } from './charts/curve-points.ts';
import type { SiteLinks } from './links.ts';

/** What every page builder reads from: the runs, where links point, TensorBoard, rendered charts. */
export interface ReportContext {
  store: RunStore;
  links: SiteLinks;
  /** A TensorBoard serving the same logdir; null when none is configured (links are hidden). */
  tensorboardUrl: string | null;
  charts: SvgCache;
}

export interface CompareOptions {
  smoothing: number;
  xAxis: XAxis;
  /** Validation accuracy to reach, 0..1; NaN: 90 % of the best run's (see defaultTarget). */
  threshold: number;
  cost: CostAxis;
  groupBy: GroupBy;
}

export const DEFAULT_COMPARE: CompareOptions = {
  smoothing: 0.6,
  xAxis: 'step',
  threshold: NaN,
  cost: 'flops',
  groupBy: DEFAULT_GROUP_BY,
};

export function studyCostOf(cost: CostAxis): StudyCost {
  return cost === 'flops' ? 'flops' : 'seconds';
}

/** A percentage (80) or a fraction (0.8) as a fraction; anything else as NaN. */
function fraction(value: number): number {
  if (value > 1 && value <= 100) return value / 100;
  return value > 0 && value <= 1 ? value : NaN;
}

/** Reads compare options from query parameters, clamping anything out of range to the default. */
export function parseCompareOptions(q: Record<string, unknown>): CompareOptions {
  const num = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN);
  const smoothing = num(q.smoothing);
  const cost = q.cost === 'seconds' ? 'hours' : q.cost;
  return {
    smoothing: smoothing >= 0 && smoothing <= 0.999 ? smoothing : DEFAULT_COMPARE.smoothing,
    xAxis: q.x === 'relative' || q.x === 'wall' || q.x === 'step' ? q.x : DEFAULT_COMPARE.xAxis,
    threshold: fraction(num(q.threshold)),
    cost: cost === 'hours' || cost === 'flops' ? cost : DEFAULT_COMPARE.cost,
    groupBy: parseGroupBy(q.group),
  };
}
