import { costQualityRows, type CostQualityRow } from '../metrics/cost-quality.ts';
import { definitionDiffView } from '../metrics/definition-diff.ts';
import { groupByParam, groupRuns } from '../metrics/groups.ts';
import { perClassAccuracy } from '../metrics/per-class-accuracy.ts';
import { loadRuns, type LoadedRun } from '../store/load-runs.ts';
import { groupedBarSpec } from './charts/bar-charts.ts';
import { curveCharts, type CurveChart } from './charts/curve-charts.ts';
import { METRIC_GROUPS } from './charts/metric-groups.ts';
import { renderSvg } from './charts/render-svg.ts';
import { studyCostOf, type CompareOptions, type ReportContext } from './context.ts';
import { compact, duration, pct, si } from './format.ts';
import { identitiesOf } from './identity.ts';
import { statusView } from './status-view.ts';
import { studyView } from './study-view.ts';
import { tensorboardLinks } from './tensorboard-links.ts';

/** The most runs one compare page shows (the site's `?runs=` keeps the first this many). */
export const MAX_COMPARED_RUNS = 50;

function costTableRow(ctx: ReportContext, r: CostQualityRow) {
  const reached = r.epochToThreshold !== null;
  const id = identitiesOf(ctx.store).get(r.id);
  return {
    id: r.id,
    name: id?.name ?? r.id,
    color: id?.color,
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
    deviceSeconds: duration(r.deviceSeconds),
    cacheHit: r.cacheHit,
    costNote: r.costNote,
    pflops: si(r.pflops === null ? null : r.pflops * 1e15, 'FLOP'),
    perHour: compact(r.accuracyPerDeviceHour),
    perPflop: compact(r.accuracyPerPflop),
    pareto: r.pareto,
    excluded: r.excluded,
    sort: {
      best: r.bestValAccuracy ?? '',
      test: r.finalTestAccuracy ?? '',
      timeToX: r.secondsToThreshold ?? '',
      computeToX: r.flopsToThreshold ?? '',
      perHour: r.accuracyPerDeviceHour ?? '',
      perPflop: r.accuracyPerPflop ?? '',
      finalVal: r.finalValAccuracy ?? '',
      seconds: r.deviceSeconds ?? '',
      flops: r.pflops ?? '',
    },
  };
}

async function perClassChart(ctx: ReportContext, ids: string, runs: LoadedRun[]) {
  const names = identitiesOf(ctx.store);
  const labels = runs.map((r) => names.get(r.summary.id)?.name ?? r.summary.id);
  const rows = runs.flatMap((r, i) => perClassAccuracy(r).map((p) => ({ ...p, series: labels[i] })));
  if (rows.length === 0) return null;
  const colors = runs.map((r) => names.get(r.summary.id)?.color ?? '#888');
  const spec = groupedBarSpec({
    title: 'Test accuracy per class',
    rows,
    xTitle: 'accuracy',
    colorDomain: labels,
    colorRange: colors,
  });
  return ctx.charts.get(`perclass-compare|${ids}|${ctx.store.version}`, () => renderSvg(spec));
}

/** The TensorBoard deep link: the compared runs, the tags of the charts shown, the smoothing. */
function tensorboardLink(ctx: ReportContext, runs: LoadedRun[], charts: CurveChart[], smoothing: number) {
  if (!ctx.tensorboardUrl) return null;
  const groups = charts.map((c) => METRIC_GROUPS.find((g) => g.id === c.id)!);
  const tags = [...new Set(groups.flatMap((g) => g.keys.map((k) => k.key.split('/').pop()!)))];
  return tensorboardLinks(ctx.tensorboardUrl, { runIds: runs.map((r) => r.summary.id), tags, smoothing });
}

function optionsView(opts: CompareOptions, target: number) {
  const group = groupByParam(opts.groupBy);
  return {
    smoothing: opts.smoothing,
    thresholdPct: Math.round(target * 1000) / 10,
    thresholdDerived: !Number.isFinite(opts.threshold),
    x: { step: opts.xAxis === 'step', relative: opts.xAxis === 'relative', wall: opts.xAxis === 'wall' },
    cost: { flops: opts.cost === 'flops', hours: opts.cost === 'hours' },
    costLabel: opts.cost === 'flops' ? 'FLOP' : 'device time',
    group: {
      study: group === 'study',
      seed: group === 'seed',
      none: group === 'none',
      custom: !['study', 'seed', 'none'].includes(group) ? group : '',
    },
  };
}

export async function comparePage(ctx: ReportContext, ids: readonly string[], opts: CompareOptions) {
  const unique = [...new Set(ids)];
  const runs = await loadRuns(ctx.store, unique);
  const groups = groupRuns(runs, opts.groupBy);
  const groupOf = new Map(groups.flatMap((g) => g.members.map((m) => [m.summary.id, g] as const)));
  const charts = curveCharts(ctx, runs, 'name', (id) => groupOf.get(id)!);
  const pool = ctx.store.summaries().map((s) => ({ summary: s, record: ctx.store.record(s.id) ?? {} }));
  const rows = costQualityRows(runs, opts.threshold, opts.cost, pool);
  const names = identitiesOf(ctx.store);
  return {
    pageTitle: 'Compare runs',
    navCompare: true,
    runs: runs.map((r) => ({
      id: r.summary.id,
      ...names.get(r.summary.id),
      href: ctx.links.run(r.summary.id),
      ...statusView(r.summary),
    })),
    runIds: runs.map((r) => r.summary.id).join(','),
    missing: unique.filter((id) => !runs.some((r) => r.summary.id === id)),
    empty: runs.length === 0,
    charts,
    hasGroups: groups.some((g) => g.members.length > 1),
    diff: definitionDiffView(runs),
    diffNames: runs.map((r) => names.get(r.summary.id)?.name ?? r.summary.id),
    table: rows.map((r) => costTableRow(ctx, r)),
    measureTitle: rows[0]?.qualitySource === 'test' ? 'test accuracy' : 'best validation accuracy',
    study: studyView(ctx, runs, opts.groupBy, studyCostOf(opts.cost)),
    perClass: await perClassChart(ctx, unique.join('\u0000'), runs),
    options: optionsView(opts, rows[0]?.threshold ?? 0.8),
    tensorboard: tensorboardLink(ctx, runs, charts, opts.smoothing),
  };
}
