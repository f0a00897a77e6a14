import { groupedBarSpec, renderSvg, scatterSpec } from './charts.ts';
import { costOf, costQualityRows, definitionDiffView } from './compare.ts';
import { METRIC_GROUPS } from './curves.ts';
import { compact, duration, pct, si } from './format.ts';
import { curveCharts, loadRuns, perClassAccuracy, shortLabels, spread, statusView, type CompareOptions, type ReportContext } from './page-common.ts';
import { tensorboardLinks } from './tensorboard-link.ts';

export async function comparePage(ctx: ReportContext, ids: readonly string[], opts: CompareOptions) {
  const unique = [...new Set(ids)];
  const runs = await loadRuns(ctx, unique);
  const missing = unique.filter((id) => !runs.some((r) => r.summary.id === id));
  const charts = await curveCharts(ctx, runs, opts, 'series');
  const rows = costQualityRows(runs, opts.threshold, opts.cost);
  const scatterPoints = rows.filter((r) => r.quality !== null && costOf(r, opts.cost) !== null);
  const scatterLabels = shortLabels(scatterPoints.map((r) => r.id));
  const costTitle = opts.cost === 'flops' ? 'training compute (PFLOP)' : 'device time (hours)';
  const scatter = scatterPoints.length > 0
    ? await ctx.charts.get(`scatter|${unique.join('\u0000')}|${opts.cost}|${ctx.store.version}`, () => renderSvg(scatterSpec({
      title: `Quality vs ${opts.cost === 'flops' ? 'compute' : 'device time'}`, xTitle: costTitle, yTitle: 'test accuracy (else best validation)',
      points: scatterPoints.map((r, i) => ({ label: scatterLabels[i], cost: costOf(r, opts.cost)!, quality: r.quality!, pareto: r.pareto })),
      logX: spread(scatterPoints.map((r) => costOf(r, opts.cost)!)) > 30,
    })))
    : null;
  const runLabels = shortLabels(runs.map((r) => r.summary.id));
  const perClassRows = runs.flatMap((r, i) => perClassAccuracy(r).map((p) => ({ label: p.label, series: runLabels[i], value: p.value })));
  const perClass = perClassRows.length > 0
    ? await ctx.charts.get(`perclass-compare|${unique.join('\u0000')}|${ctx.store.version}`, () => renderSvg(groupedBarSpec({ title: 'Test accuracy per class', rows: perClassRows, xTitle: 'accuracy', colorDomain: runLabels })))
    : null;
  const shownTags = [...new Set(charts.flatMap((c) => METRIC_GROUPS.find((g) => g.id === c.id)!.keys.map((k) => k.key.split('/').pop()!)))];
  const tb = tensorboardLinks(ctx.tensorboardUrl, { runIds: runs.map((r) => r.summary.id), tags: shownTags, smoothing: opts.smoothing });
  const thresholdPct = Math.round(opts.threshold * 1000) / 10;
  return {
    pageTitle: 'Compare runs',
    navCompare: true,
    runs: runs.map((r) => ({ id: r.summary.id, href: ctx.links.run(r.summary.id), ...statusView(r.summary) })),
    runIds: runs.map((r) => r.summary.id).join(','),
    missing,
    empty: runs.length === 0,
    charts,
    diff: definitionDiffView(runs),
    table: rows.map((r) => ({
      id: r.id, href: ctx.links.run(r.id), status: r.status, statusClass: `status-${r.status}`,
      best: pct(r.bestValAccuracy), bestEpoch: r.bestEpoch ?? '—', finalVal: pct(r.finalValAccuracy), test: pct(r.finalTestAccuracy),
      epochToX: r.epochToThreshold ?? '—', timeToX: r.epochToThreshold === null ? 'not reached' : duration(r.secondsToThreshold),
      computeToX: r.epochToThreshold === null ? 'not reached' : si(r.flopsToThreshold, 'FLOP'),
      deviceHours: compact(r.deviceHours), pflops: compact(r.pflops),
      perHour: compact(r.accuracyPerDeviceHour), perPflop: compact(r.accuracyPerPflop), pareto: r.pareto,
      unrated: !r.pareto && (r.quality === null || costOf(r, opts.cost) === null),
      sort: { best: r.bestValAccuracy ?? '', test: r.finalTestAccuracy ?? '', timeToX: r.secondsToThreshold ?? '', computeToX: r.flopsToThreshold ?? '', perHour: r.accuracyPerDeviceHour ?? '', perPflop: r.accuracyPerPflop ?? '', finalVal: r.finalValAccuracy ?? '' },
    })),
    scatter,
    perClass,
    options: {
      smoothing: opts.smoothing,
      thresholdPct,
      x: { step: opts.xAxis === 'step', relative: opts.xAxis === 'relative', wall: opts.xAxis === 'wall' },
      cost: { flops: opts.cost === 'flops', hours: opts.cost === 'hours' },
      costLabel: opts.cost === 'flops' ? 'PFLOP' : 'device-hour',
    },
    tensorboard: tb,
  };
}
