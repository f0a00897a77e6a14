import { displayStatus } from '../metrics/cost-quality.ts';
import { aggregateGroup, groupByParam, groupRuns, type GroupBy, DEFAULT_GROUP_BY } from '../metrics/groups.ts';
import type { RunSummary } from '../metrics/run-summary.ts';
import type { Spread } from '../metrics/stats.ts';
import { sweepMembership, sweepTag } from '../../run/sweep-tags.ts';
import type { ReportContext } from './context.ts';
import { compact, duration, fixed, pct, si } from './format.ts';
import { groupId, identitiesOf, type RunIdentity } from './identity.ts';
import type { SiteLinks } from './links.ts';
import { statusView } from './status-view.ts';
import { studyView } from './study-view.ts';
import { tensorboardLinks } from './tensorboard-links.ts';

/** Changes whenever a row of the runs table would; the live page polls these. */
export function rowSignature(s: RunSummary): string {
  const minutes = s.wallSeconds === null ? '' : Math.floor(s.wallSeconds / 60);
  return [displayStatus(s), s.epochsCompleted, s.bestValAccuracy, s.finalTestAccuracy, minutes]
    .map((v) => String(v ?? ''))
    .join('|');
}

/** The raw values the table sorts by (the shown cells are formatted). */
function sortKeys(s: RunSummary) {
  return {
    epochs: s.epochsCompleted ?? '',
    best: s.bestValAccuracy ?? '',
    test: s.finalTestAccuracy ?? '',
    wall: s.wallSeconds ?? '',
    ips: s.imagesPerSecond ?? '',
    trainable: s.trainableParams ?? '',
    macs: s.macsPerImage ?? '',
    perPflop: s.accuracyPerPflop ?? '',
    perHour: s.accuracyPerDeviceHour ?? '',
    input: s.inputSize ?? '',
    start: s.startTime ?? '',
  };
}

/** The sweep a run belongs to and its page ('' where there is none); null for a run no sweep started. */
function sweepOf(tags: readonly string[], links: SiteLinks) {
  const name = sweepMembership(tags)?.sweep;
  return name === undefined ? null : { name, tag: sweepTag(name), href: links.sweep(name) };
}

/** The run's tags as chips; its `sweep:` tag links to the sweep's page. */
function tagChips(tags: readonly string[], links: SiteLinks) {
  const sweep = sweepOf(tags, links);
  return tags.map((tag) => ({ tag, href: sweep !== null && tag === sweep.tag ? sweep.href : '' }));
}

export function runRow(s: RunSummary, links: SiteLinks, identity?: RunIdentity) {
  const epochsKnown = s.epochsCompleted !== null || s.epochsPlanned !== null;
  return {
    id: s.id,
    sig: rowSignature(s),
    startShort: s.startTime ? s.startTime.replace('T', ' ').slice(0, 16) : '—',
    href: links.run(s.id),
    experiment: s.experiment,
    name: identity?.name ?? s.id,
    color: identity?.color ?? '#888',
    tags: tagChips(s.tags, links),
    sweep: sweepOf(s.tags, links),
    tagList: s.tags.join(' '),
    ...statusView(s),
    baseModel: s.baseModel ?? '—',
    freezing: s.freezing ?? '—',
    inputSize: s.inputSize ?? '—',
    epochs: epochsKnown ? `${s.epochsCompleted ?? '?'} / ${s.epochsPlanned ?? '?'}` : '—',
    best: pct(s.bestValAccuracy),
    bestEpoch: s.bestEpoch !== null ? `epoch ${s.bestEpoch + 1}` : '—',
    test: pct(s.finalTestAccuracy),
    wall: duration(s.wallSeconds),
    ips: fixed(s.imagesPerSecond, 1),
    trainable: si(s.trainableParams),
    total: si(s.totalParams),
    macs: si(s.macsPerImage),
    perPflop: compact(s.accuracyPerPflop),
    perHour: compact(s.accuracyPerDeviceHour),
    sort: sortKeys(s),
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

function tagList(ctx: ReportContext, all: RunSummary[], selected: string | undefined) {
  const counts = new Map<string, number>();
  for (const s of all) for (const t of s.tags) counts.set(t, (counts.get(t) ?? 0) + 1);
  const hrefOf = (name: string) => {
    if (ctx.links.mode !== 'server') return '#';
    return name === selected ? '/' : `/?${new URLSearchParams({ tag: name }).toString()}`;
  };
  const tag = ([name, count]: [string, number]) => ({
    name,
    count,
    selected: name === selected,
    tagHref: hrefOf(name),
  });
  return [...counts].sort().map(tag);
}

/** The sweeps among the runs, each with its page and how many runs it has. */
function sweepList(all: RunSummary[], links: SiteLinks) {
  const counts = new Map<string, number>();
  for (const s of all) {
    const name = sweepMembership(s.tags)?.sweep;
    if (name !== undefined) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, runs]) => ({ name, runs, href: links.sweep(name) }));
}

interface RunsPageOptions {
  filter?: string;
  tag?: string;
  live: boolean;
  groupBy?: GroupBy;
}

const spreadText = (v: Spread | null, show: (x: number) => string, scale = 1) =>
  v === null ? '—' : v.n > 1 ? `${show(v.mean)} ± ${(v.std * scale).toFixed(1)}` : show(v.mean);

/** One row per group of runs: how many, and the mean ± std of what they reached and spent. */
function groupRows(ctx: ReportContext, shown: RunSummary[], by: GroupBy) {
  const runs = shown.map((s) => ({ summary: s, record: ctx.store.record(s.id) ?? {} }));
  return groupRuns(runs, by).map((g) => {
    const a = aggregateGroup(g);
    return {
      gid: groupId(g.key),
      label: a.label,
      n: a.n,
      ids: a.ids.join(' '),
      best: spreadText(a.bestValAccuracy, (x) => pct(x), 100),
      finalVal: spreadText(a.finalValAccuracy, (x) => pct(x), 100),
      test: spreadText(a.finalTestAccuracy, (x) => pct(x), 100),
      flops: a.flops ? si(a.flops.mean, 'FLOP') : '—',
      seconds: a.deviceSeconds ? duration(a.deviceSeconds.mean) : '—',
      sort: { best: a.bestValAccuracy?.mean ?? '', test: a.finalTestAccuracy?.mean ?? '', n: a.n },
    };
  });
}

export async function runsPage(ctx: ReportContext, opts: RunsPageOptions) {
  const all = ctx.store.summaries();
  const { re, error } = compileFilter(opts.filter);
  // Newest first, like an experiment tracker; the table re-sorts by any column in the browser.
  const shown = all
    .filter((s) => (!re || re.test(s.id)) && (!opts.tag || s.tags.includes(opts.tag)))
    .sort((a, b) => (b.startTime ?? '').localeCompare(a.startTime ?? '') || (a.id < b.id ? -1 : 1));
  const counts: Record<string, number> = {
    running: 0,
    success: 0,
    interrupted: 0,
    failed: 0,
    dead: 0,
    stale: 0,
    unknown: 0,
  };
  for (const s of all) counts[displayStatus(s)] += 1;
  const names = identitiesOf(ctx.store);
  const by = opts.groupBy ?? DEFAULT_GROUP_BY;
  return {
    pageTitle: 'Runs',
    navRuns: true,
    rows: shown.map((s) => runRow(s, ctx.links, names.get(s.id))),
    groups: groupRows(ctx, shown, by),
    groupParam: groupByParam(by),
    total: all.length,
    shownCount: shown.length,
    counts,
    tags: tagList(ctx, all, opts.tag),
    sweeps: sweepList(all, ctx.links),
    compareEnabled: ctx.links.mode === 'server',
    filter: opts.filter ?? '',
    filterError: error,
    tag: opts.tag ?? '',
    live: opts.live,
    study: studyView(
      ctx,
      shown.map((s) => ({ summary: s, record: ctx.store.record(s.id) ?? {} })),
      by,
      'flops',
    ),
    tensorboard: ctx.tensorboardUrl ? tensorboardLinks(ctx.tensorboardUrl, { runIds: [] }).timeseries : null,
  };
}
