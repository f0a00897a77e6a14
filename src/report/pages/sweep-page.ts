import { formatDefinitionValue } from '../metrics/definition-diff.ts';
import {
  SWEEP_METRIC_LABELS,
  summarizeSweep,
  type GroupComparison,
  type Spread,
  type SweepGroup,
  type SweepRun,
  type SweepSummary,
  type SweepTrial,
} from '../metrics/sweep-summary.ts';
import { sweepMembership } from '../../run/sweep-tags.ts';
import type { RunStore } from '../store/run-store.ts';
import { parallelCoordinatesSpec } from './charts/parallel-coordinates.ts';
import { renderSvg } from './charts/render-svg.ts';
import { MAX_COMPARED_RUNS } from './compare-page.ts';
import type { ReportContext } from './context.ts';
import { pct, si } from './format.ts';
import type { SiteLinks } from './links.ts';

/** The runs of the sweep `name` with their run.json records (runs of other sweeps are not read). */
function sweepRuns(store: RunStore, name: string): SweepRun[] {
  const runs: SweepRun[] = [];
  for (const summary of store.summaries()) {
    if (sweepMembership(summary.tags)?.sweep !== name) continue;
    const record = store.record(summary.id);
    if (record) runs.push({ summary, record });
  }
  return runs;
}

/** The sweep as the JSON API gives it: raw numbers, run ids, and where the runs' pages are. */
export function sweepJson(store: RunStore, name: string, links: SiteLinks) {
  const summary = summarizeSweep(name, sweepRuns(store, name));
  if (!summary) return null;
  return {
    ...summary,
    metricLabel: SWEEP_METRIC_LABELS[summary.metric],
    test: welchDescription(summary),
    trials: summary.trials.map((t) => ({ ...t, href: links.run(t.runId) })),
  };
}

/** `81.2 ± 0.5 %` over the seeds; a single seed without the ±. */
function pctSpread(s: Spread | null): string {
  if (!s) return '—';
  if (s.std === null) return pct(s.mean);
  return `${(s.mean * 100).toFixed(1)} ± ${(s.std * 100).toFixed(1)} %`;
}

const pctRange = (s: Spread | null): string => (s ? `${pct(s.min)} – ${pct(s.max)}` : '—');
const points = (d: number): string => `${d >= 0 ? '+' : '−'}${Math.abs(d * 100).toFixed(2)} pts`;
const pValue = (p: number): string => (p < 0.001 ? '< 0.001' : String(Number(p.toPrecision(2))));

function welchDescription(s: SweepSummary): string {
  return (
    `Welch's unequal-variances t-test, two-sided, on the ${SWEEP_METRIC_LABELS[s.metric]} of the seed repeats ` +
    `(successful trials) of the best group against each other group; a lead is larger than the seed noise when ` +
    `p < ${s.alpha} after Holm's correction for the ${s.comparisons.length} comparisons.`
  );
}

function trialRow(t: SweepTrial, varying: readonly string[], links: SiteLinks) {
  return {
    trial: t.trial,
    group: t.group,
    seed: t.seed ?? '—',
    cells: varying.map((k) => formatDefinitionValue(t.hparams[k])),
    status: t.stale ? 'stale' : t.status,
    statusClass: `status-${t.stale ? 'stale' : t.status}`,
    counted: t.counted,
    best: pct(t.bestValAccuracy),
    finalVal: pct(t.finalValAccuracy),
    test: pct(t.finalTestAccuracy),
    flops: si(t.flops, 'FLOP'),
    sort: { best: t.bestValAccuracy ?? '', finalVal: t.finalValAccuracy ?? '', test: t.finalTestAccuracy ?? '' },
    runId: t.runId,
    href: links.run(t.runId),
    otherRuns: t.otherRuns.map((id) => ({ id, href: links.run(id) })),
  };
}

function groupRow(g: SweepGroup, rank: number, s: SweepSummary, links: SiteLinks) {
  return {
    group: g.group,
    rank,
    isBest: g.group === s.best,
    cells: s.varying.map((k) => formatDefinitionValue(g.hparams[k])),
    n: g.metric?.n ?? 0,
    trialCount: g.trials.length,
    metric: pctSpread(g.metric),
    range: pctRange(g.metric),
    best: pctSpread(g.bestValAccuracy),
    finalVal: pctSpread(g.finalValAccuracy),
    test: pctSpread(g.finalTestAccuracy),
    flops: si(g.flops?.mean, 'FLOP'),
    compareHref: links.mode === 'server' && g.trials.length > 1 ? links.compare(g.trials.map((t) => t.runId)) : null,
    trials: g.trials.map((t) => trialRow(t, s.varying, links)),
  };
}

function comparisonRow(c: GroupComparison, s: SweepSummary) {
  const g = s.groups.find((x) => x.group === c.group)!;
  const w = c.welch;
  return {
    group: c.group,
    hparams: s.varying.map((k) => `${k}=${formatDefinitionValue(g.hparams[k])}`).join(' '),
    metric: pctSpread(g.metric),
    n: g.metric?.n ?? 0,
    difference: w ? points(w.difference) : '—',
    t: w ? w.t.toFixed(2) : '—',
    df: w ? w.df.toFixed(1) : '—',
    p: w ? pValue(w.p) : '—',
    significant: c.significant,
    verdict:
      w === null ? `not tested: ${c.reason}` : c.significant ? 'larger than the seed noise' : 'within the seed noise',
  };
}

function bestView(s: SweepSummary, links: SiteLinks) {
  const g = s.groups.find((x) => x.group === s.best);
  if (!g) return null;
  return {
    group: g.group,
    hparams: s.varying.map((k) => ({ key: k, value: formatDefinitionValue(g.hparams[k]) })),
    metric: pctSpread(g.metric),
    range: pctRange(g.metric),
    n: g.metric?.n ?? 0,
    runs: g.trials.map((t) => ({ id: t.runId, seed: t.seed ?? '—', href: links.run(t.runId) })),
  };
}

async function chart(ctx: ReportContext, s: SweepSummary): Promise<string | null> {
  const lines = s.trials.filter((t) => t.counted).map((t) => ({ id: t.trial, values: t.hparams, metric: t.value! }));
  const label = SWEEP_METRIC_LABELS[s.metric];
  const spec = parallelCoordinatesSpec(s.varying, lines, label, `Hyperparameters → ${label}, one line per trial`);
  if (!spec) return null;
  return ctx.charts.get(`sweep-parallel|${s.name}|${ctx.store.listVersion}`, () => renderSvg(spec));
}

/** The compare page of every trial, grouped by all but the seed: one band per group (the live site only). */
function compareAllHref(s: SweepSummary, links: SiteLinks): string | null {
  if (links.mode !== 'server' || s.trials.length < 2 || s.trials.length > MAX_COMPARED_RUNS) return null;
  return links.compare(
    s.trials.map((t) => t.runId),
    { group: 'seed' },
  );
}

/** The sweep page's model; null when no run in the log directory belongs to the sweep `name`. */
export async function sweepPage(ctx: ReportContext, name: string) {
  const s = summarizeSweep(name, sweepRuns(ctx.store, name));
  if (!s) return null;
  const counted = s.trials.filter((t) => t.counted).length;
  const sizes = [...new Set(s.groups.map((g) => g.trials.length))];
  return {
    pageTitle: `Sweep ${name}`,
    name,
    experiments: s.experiments.join(', '),
    metricLabel: SWEEP_METRIC_LABELS[s.metric],
    trialCount: s.trials.length,
    countedCount: counted,
    groupCount: s.groups.length,
    groupSizes: sizes.length === 1 ? `of ${sizes[0]}` : `of ${Math.min(...sizes)}–${Math.max(...sizes)}`,
    varying: s.varying,
    groups: s.groups.map((g, i) => groupRow(g, i + 1, s, ctx.links)),
    compareAllHref: compareAllHref(s, ctx.links),
    best: bestView(s, ctx.links),
    comparisons: s.comparisons.map((c) => comparisonRow(c, s)),
    testDescription: welchDescription(s),
    chart: await chart(ctx, s),
  };
}
