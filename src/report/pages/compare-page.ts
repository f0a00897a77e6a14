import { costOf, costQualityRows, type CostQualityRow } from '../metrics/cost-quality.ts';
import { definitionDiffView } from '../metrics/definition-diff.ts';
import { perClassAccuracy } from '../metrics/per-class-accuracy.ts';
import { loadRuns, type LoadedRun } from '../store/load-runs.ts';
import { groupedBarSpec } from './charts/bar-charts.ts';
import { curveCharts, type CurveChart } from './charts/curve-charts.ts';
import { METRIC_GROUPS } from './charts/metric-groups.ts';
import { renderSvg } from './charts/render-svg.ts';
import { costQualitySpec } from './charts/scatter-chart.ts';
import type { CompareOptions, ReportContext } from './context.ts';
import { compact, duration, pct, si } from './format.ts';
import { shortLabels } from './labels.ts';
import { statusView } from './status-view.ts';
import { tensorboardLinks } from './tensorboard-links.ts';

function costTableRow(ctx: ReportContext, r: CostQualityRow, cost: CompareOptions['cost']) {
  const reached = r.epochToThreshold !== null;
  return {
    id: r.id,
    href: ctx.links.run(r.id),
    status: r.status,
    statusClass: `status-${r.status}`,
    best: pct(r.bestValAccuracy),
    bestEpoch: r.bestEpoch ?? '—',
    finalVal: pct(r.finalValAccuracy),
    test: pct(r.finalTestAccuracy),
    epochToX: r.epochToThreshold ?? '—',
    timeToX: reached ? duration(r.secondsToThreshold) : 'not reached',
    computeToX: reached ? si(r.flopsToThreshold, 'FLOP') : 'not reached',
    deviceHours: compact(r.deviceHours),
    pflops: compact(r.pflops),
    perHour: compact(r.accuracyPerDeviceHour),
    perPflop: compact(r.accuracyPerPflop),
    pareto: r.pareto,
    unrated: !r.pareto && (r.quality === null || costOf(r, cost) === null),
    sort: {
      best: r.bestValAccuracy ?? '',
      test: r.finalTestAccuracy ?? '',
      timeToX: r.secondsToThreshold ?? '',
      computeToX: r.flopsToThreshold ?? '',
      perHour: r.accuracyPerDeviceHour ?? '',
      perPflop: r.accuracyPerPflop ?? '',
      finalVal: r.finalValAccuracy ?? '',
    },
  };
}

async function scatterChart(ctx: ReportContext, ids: string, rows: CostQualityRow[], cost: CompareOptions['cost']) {
  const spec = costQualitySpec(rows, cost, `Quality vs ${cost === 'flops' ? 'compute' : 'device time'}`);
  if (!spec) return null;
  return ctx.charts.get(`scatter|${ids}|${cost}|${ctx.store.version}`, () => renderSvg(spec));
}

async function perClassChart(ctx: ReportContext, ids: string, runs: LoadedRun[]) {
  const labels = shortLabels(runs.map((r) => r.summary.id));
  const rows = runs.flatMap((r, i) => perClassAccuracy(r).map((p) => ({ ...p, series: labels[i] })));
  if (rows.length === 0) return null;
  const spec = groupedBarSpec({ title: 'Test accuracy per class', rows, xTitle: 'accuracy', colorDomain: labels });
  return ctx.charts.get(`perclass-compare|${ids}|${ctx.store.version}`, () => renderSvg(spec));
}

/** The TensorBoard deep link: the compared runs, the tags of the charts shown, the smoothing. */
function tensorboardLink(ctx: ReportContext, runs: LoadedRun[], charts: CurveChart[], smoothing: number) {
  const groups = charts.map((c) => METRIC_GROUPS.find((g) => g.id === c.id)!);
  const tags = [...new Set(groups.flatMap((g) => g.keys.map((k) => k.key.split('/').pop()!)))];
  return tensorboardLinks(ctx.tensorboardUrl, { runIds: runs.map((r) => r.summary.id), tags, smoothing });
}

function optionsView(opts: CompareOptions) {
  return {
    smoothing: opts.smoothing,
    thresholdPct: Math.round(opts.threshold * 1000) / 10,
    x: { step: opts.xAxis === 'step', relative: opts.xAxis === 'relative', wall: opts.xAxis === 'wall' },
    cost: { flops: opts.cost === 'flops', hours: opts.cost === 'hours' },
    costLabel: opts.cost === 'flops' ? 'PFLOP' : 'device-hour',
  };
}

export async function comparePage(ctx: ReportContext, ids: readonly string[], opts: CompareOptions) {
  const unique = [...new Set(ids)];
  const key = unique.join('\u0000');
  const runs = await loadRuns(ctx.store, unique);
  const charts = await curveCharts(ctx, runs, opts, 'series');
  const rows = costQualityRows(runs, opts.threshold, opts.cost);
  return {
    pageTitle: 'Compare runs',
    navCompare: true,
    runs: runs.map((r) => ({ id: r.summary.id, href: ctx.links.run(r.summary.id), ...statusView(r.summary) })),
    runIds: runs.map((r) => r.summary.id).join(','),
    missing: unique.filter((id) => !runs.some((r) => r.summary.id === id)),
    empty: runs.length === 0,
    charts,
    diff: definitionDiffView(runs),
    table: rows.map((r) => costTableRow(ctx, r, opts.cost)),
    scatter: await scatterChart(ctx, key, rows, opts.cost),
    perClass: await perClassChart(ctx, key, runs),
    options: optionsView(opts),
    tensorboard: tensorboardLink(ctx, runs, charts, opts.smoothing),
  };
}
