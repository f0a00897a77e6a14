import { renderSvg, scatterSpec } from './charts.ts';
import { costQualityRows } from './compare.ts';
import { compact, duration, fixed, pct, si } from './format.ts';
import type { SiteLinks } from './links.ts';
import { shortLabels, spread, statusView, type ReportContext } from './page-common.ts';
import type { RunSummary } from './summary.ts';
import { tensorboardLinks } from './tensorboard-link.ts';

/** Changes whenever a row of the runs table would; the live page polls these. */
export function rowSignature(s: RunSummary): string {
  return [s.stale ? 'stale' : s.status, s.epochsCompleted, s.bestValAccuracy, s.finalTestAccuracy, s.wallSeconds === null ? '' : Math.floor(s.wallSeconds / 60)].map((v) => String(v ?? '')).join('|');
}

export function runRow(s: RunSummary, links: SiteLinks) {
  return {
    id: s.id,
    sig: rowSignature(s),
    startShort: s.startTime ? s.startTime.replace('T', ' ').slice(0, 16) : '—',
    href: links.run(s.id),
    experiment: s.experiment,
    name: s.name ?? s.id.split('/').pop(),
    tags: s.tags,
    tagList: s.tags.join(' '),
    ...statusView(s),
    baseModel: s.baseModel ?? '—',
    freezing: s.freezing ?? '—',
    inputSize: s.inputSize ?? '—',
    epochs: s.epochsCompleted !== null || s.epochsPlanned !== null ? `${s.epochsCompleted ?? '?'} / ${s.epochsPlanned ?? '?'}` : '—',
    best: pct(s.bestValAccuracy),
    bestEpoch: s.bestEpoch ?? '—',
    test: pct(s.finalTestAccuracy),
    wall: duration(s.wallSeconds),
    ips: fixed(s.imagesPerSecond, 1),
    trainable: si(s.trainableParams),
    total: si(s.totalParams),
    macs: si(s.macsPerImage),
    perPflop: compact(s.accuracyPerPflop),
    perHour: compact(s.accuracyPerDeviceHour),
    sort: {
      epochs: s.epochsCompleted ?? '', best: s.bestValAccuracy ?? '', test: s.finalTestAccuracy ?? '', wall: s.wallSeconds ?? '',
      ips: s.imagesPerSecond ?? '', trainable: s.trainableParams ?? '', macs: s.macsPerImage ?? '', perPflop: s.accuracyPerPflop ?? '',
      perHour: s.accuracyPerDeviceHour ?? '', input: s.inputSize ?? '', start: s.startTime ?? '',
    },
    warnings: s.warnings,
  };
}

function compileFilter(filter: string | undefined): { re: RegExp | null; error: string | null } {
  if (!filter) return { re: null, error: null };
  if (filter.length > 500) return { re: null, error: 'filter is longer than 500 characters' };
  try {
    return { re: new RegExp(filter, 'i'), error: null };
  } catch (err) {
    return { re: null, error: (err as Error).message };
  }
}

export async function runsPage(ctx: ReportContext, opts: { filter?: string; tag?: string; live: boolean; withScatter?: boolean }) {
  const all = ctx.store.summaries();
  const { re, error } = compileFilter(opts.filter);
  // Newest first, like an experiment tracker; the table re-sorts by any column in the browser.
  const shown = all
    .filter((s) => (!re || re.test(s.id)) && (!opts.tag || s.tags.includes(opts.tag)))
    .sort((a, b) => (b.startTime ?? '').localeCompare(a.startTime ?? '') || (a.id < b.id ? -1 : 1));
  const tagCounts = new Map<string, number>();
  for (const s of all) for (const t of s.tags) tagCounts.set(t, (tagCounts.get(t) ?? 0) + 1);
  const counts: Record<string, number> = { running: 0, success: 0, interrupted: 0, failed: 0, stale: 0, unknown: 0 };
  for (const s of all) counts[s.stale ? 'stale' : s.status] += 1;
  let scatter: string | null = null;
  if (opts.withScatter !== false) {
    const points = all.filter((s) => s.quality !== null && s.flops);
    if (points.length >= 2) {
      const rows = costQualityRows(points.map((s) => ({ summary: s, record: {} })), 1, 'flops');
      const labels = shortLabels(rows.map((r) => r.id));
      const key = `runs-scatter|${ctx.store.version}|${points.length}`;
      scatter = await ctx.charts.get(key, () => renderSvg(scatterSpec({
        title: 'Quality vs training compute, all runs',
        xTitle: 'training compute (PFLOP)', yTitle: 'test accuracy (else best validation)',
        points: rows.map((r, i) => ({ label: labels[i], cost: r.pflops!, quality: r.quality!, pareto: r.pareto })),
        logX: spread(rows.map((r) => r.pflops!)) > 30,
      })));
    }
  }
  return {
    pageTitle: 'Runs',
    navRuns: true,
    rows: shown.map((s) => runRow(s, ctx.links)),
    total: all.length,
    shownCount: shown.length,
    counts,
    tags: [...tagCounts].sort().map(([name, count]) => ({
      name, count, selected: name === opts.tag,
      tagHref: ctx.links.mode === 'server' ? (name === opts.tag ? '/' : `/?${new URLSearchParams({ tag: name }).toString()}`) : '#',
    })),
    compareEnabled: ctx.links.mode === 'server',
    filter: opts.filter ?? '',
    filterError: error,
    tag: opts.tag ?? '',
    live: opts.live,
    scatter,
    tensorboard: tensorboardLinks(ctx.tensorboardUrl, { runIds: [] }).timeseries,
  };
}
