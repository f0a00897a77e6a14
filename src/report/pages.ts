import { barSpec, groupedBarSpec, lineChartSpec, renderSvg, scatterSpec, SvgCache } from './charts.ts';
import { costOf, costQualityRows, definitionDiffView, type CompareRun, type CostAxis } from './compare.ts';
import { groupPoints, METRIC_GROUPS, type CurveRun, type XAxis } from './curves.ts';
import { flatten, formatDefinitionValue } from './diff.ts';
import { compact, duration, fixed, int, pct, si } from './format.ts';
import type { SiteLinks } from './links.ts';
import { encodeRunPath } from './run-id.ts';
import type { RunStore } from './store.ts';
import type { RunSummary } from './summary.ts';
import { tensorboardLinks } from './tensorboard-link.ts';

export interface ReportContext {
  store: RunStore;
  links: SiteLinks;
  tensorboardUrl: string;
  charts: SvgCache;
}

export interface CompareOptions {
  smoothing: number;
  xAxis: XAxis;
  /** Validation accuracy to reach, 0..1. */
  threshold: number;
  cost: CostAxis;
}

export const DEFAULT_COMPARE: CompareOptions = { smoothing: 0.6, xAxis: 'step', threshold: 0.8, cost: 'flops' };

/** Reads compare options from query parameters, clamping anything out of range to the default. */
export function parseCompareOptions(q: Record<string, unknown>): CompareOptions {
  const num = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN);
  const smoothing = num(q.smoothing);
  const threshold = num(q.threshold);
  return {
    smoothing: smoothing >= 0 && smoothing <= 0.999 ? smoothing : DEFAULT_COMPARE.smoothing,
    xAxis: q.x === 'relative' || q.x === 'wall' || q.x === 'step' ? q.x : DEFAULT_COMPARE.xAxis,
    // Accept a percentage (80) or a fraction (0.8).
    threshold: threshold > 1 && threshold <= 100 ? threshold / 100 : threshold > 0 && threshold <= 1 ? threshold : DEFAULT_COMPARE.threshold,
    cost: q.cost === 'hours' || q.cost === 'flops' ? q.cost : DEFAULT_COMPARE.cost,
  };
}

function statusView(s: RunSummary) {
  const status = s.stale ? 'stale' : s.status;
  return { status, statusClass: `status-${status}`, statusTitle: s.stale ? 'running, but no update for a long time' : s.error ?? status };
}

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
  const shown = all.filter((s) => (!re || re.test(s.id)) && (!opts.tag || s.tags.includes(opts.tag)));
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

/**
 * Legend labels: `experiment/name` (the run folder without its timestamp; the time when unnamed),
 * falling back to the full id wherever two labels would collide.
 */
export function shortLabels(ids: readonly string[]): string[] {
  const short = ids.map((id) => {
    const parts = id.split('/');
    const last = parts.pop()!;
    const m = /^(\d{8})-(\d{6})(?:-(.+))?$/.exec(last);
    const tail = m ? (m[3] ?? `${m[1].slice(4, 6)}-${m[1].slice(6)} ${m[2].slice(0, 2)}:${m[2].slice(2, 4)}:${m[2].slice(4)}`) : last;
    return [...parts, tail].join('/');
  });
  const counts = new Map<string, number>();
  for (const s of short) counts.set(s, (counts.get(s) ?? 0) + 1);
  return short.map((s, i) => (counts.get(s)! > 1 ? ids[i] : s));
}

function spread(values: number[]): number {
  const pos = values.filter((v) => v > 0);
  return pos.length ? Math.max(...pos) / Math.min(...pos) : 1;
}

async function loadRuns(ctx: ReportContext, ids: readonly string[]): Promise<CompareRun[]> {
  const out: CompareRun[] = [];
  for (const id of ids) {
    const summary = ctx.store.summary(id);
    const record = ctx.store.record(id);
    if (!summary || !record) continue;
    const events = await ctx.store.events(id).catch(() => undefined);
    out.push({ summary, record, events });
  }
  return out;
}

async function curveCharts(ctx: ReportContext, runs: CompareRun[], opts: CompareOptions, colorBy: 'series' | 'split') {
  const labels = shortLabels(runs.map((r) => r.summary.id));
  const curveRuns: CurveRun[] = runs.map((r, i) => ({ label: labels[i], record: r.record, events: r.events }));
  const charts: { id: string; title: string; svg: string; caption: string | null }[] = [];
  const keyBase = `${runs.map((r) => r.summary.id).join('\u0000')}|${opts.smoothing}|${opts.xAxis}|${colorBy}|${ctx.store.version}`;
  for (const group of METRIC_GROUPS) {
    const built = groupPoints(curveRuns, group, opts);
    if (built.points.length === 0) continue;
    const svg = await ctx.charts.get(`${group.id}|${keyBase}`, () => renderSvg(lineChartSpec({
      title: group.title, xTitle: built.xTitle, yTitle: group.yTitle, xType: built.xType, points: built.points,
      showRaw: opts.smoothing > 0, colorBy, colorDomain: colorBy === 'series' ? labels : undefined, yFormat: group.yFormat, integerX: group.per === 'epoch' && opts.xAxis === 'step',
    })));
    const splits = [...new Set(built.points.map((p) => p.split))];
    const notes = [
      ...(colorBy === 'series' && splits.length > 1 ? [`solid: ${splits[0]}, dashed: ${splits[1]}`] : []),
      ...(opts.smoothing > 0 ? ['faint lines: unsmoothed values'] : []),
    ];
    const caption = notes.length > 0 ? notes.join(' · ') : null;
    charts.push({ id: group.id, title: group.title, svg, caption });
  }
  return charts;
}

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
      deviceHours: fixed(r.deviceHours, 3), pflops: fixed(r.pflops, 3),
      perHour: compact(r.accuracyPerDeviceHour), perPflop: compact(r.accuracyPerPflop), pareto: r.pareto,
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

export interface ImageView { key: string; src: string; step: number; count: number; width: number; height: number }

export async function runPage(ctx: ReportContext, id: string, opts: { smoothing: number; xAxis: XAxis; inlineImages: boolean }) {
  const [run] = await loadRuns(ctx, [id]);
  if (!run) return null;
  const { summary: s, record } = run;
  const charts = await curveCharts(ctx, [run], { ...DEFAULT_COMPARE, ...opts }, 'split');
  const perClass = perClassAccuracy(run);
  const perClassSvg = perClass.length > 0
    ? await ctx.charts.get(`perclass|${id}|${ctx.store.version}`, () => renderSvg(barSpec({ title: 'Test accuracy per class', rows: perClass, xTitle: 'accuracy' })))
    : null;
  const images: ImageView[] = [];
  for (const key of run.events?.imageKeys() ?? []) {
    const all = run.events!.images(key);
    const last = all[all.length - 1];
    if (!last) continue;
    const src = opts.inlineImages ? `data:image/png;base64,${Buffer.from(last.png).toString('base64')}` : ctx.links.image(id, key, all.length - 1)!;
    images.push({ key, src, step: last.step, count: all.length, width: last.width, height: last.height });
  }
  const definitionText = record.definition ? null : run.events?.texts('definition').at(-1)?.text ?? null;
  const tb = tensorboardLinks(ctx.tensorboardUrl, { runIds: [id], smoothing: opts.smoothing });
  const meta: { label: string; value: string }[] = [
    ['Experiment', s.experiment], ['Name', s.name ?? '—'], ['Status', s.stale ? 'running (stale)' : s.status],
    ['Error', s.error ?? ''], ['Started', s.startTime ?? '—'], ['Ended', s.endTime ?? '—'], ['Wall time', duration(s.wallSeconds)],
    ['Base model', s.baseModel ?? '—'], ['Freezing', s.freezing ?? '—'], ['Input size', s.inputSize === null ? '—' : `${s.inputSize} px`],
    ['Epochs', `${s.epochsCompleted ?? '?'} of ${s.epochsPlanned ?? '?'}`], ['Optimizer steps', int(record.globalStep)],
    ['Best validation accuracy', s.bestValAccuracy === null ? '—' : `${pct(s.bestValAccuracy, 2)} (epoch ${s.bestEpoch})`],
    ['Final validation accuracy', pct(s.finalValAccuracy, 2)], ['Test accuracy', pct(s.finalTestAccuracy, 2)],
    ['Test loss', fixed(record.final?.testLoss ?? null, 4)],
    ['Parameters (trainable / total)', `${int(s.trainableParams)} / ${int(s.totalParams)}`],
    ['Base parameters (trainable / total)', record.params?.base ? `${int(record.params.base.trainable)} / ${int(record.params.base.total)}` : '—'],
    ['Multiply-adds per image', `${si(s.macsPerImage)}${record.baseMacsPerImage ? ` (base ${si(record.baseMacsPerImage)})` : ''}`],
    ['Images (train / validation / test)', record.dataset ? `${int(record.dataset.train ?? null)} / ${int(record.dataset.validation ?? null)} / ${int(record.dataset.test ?? null)}` : '—'], ['Training images seen', int(record.compute?.trainImages ?? null)],
    ['Estimated compute', si(s.flops, 'FLOP')], ['Device time', duration(s.deviceSeconds)], ['Images per second', fixed(s.imagesPerSecond, 1)],
    ['Accuracy per PFLOP', compact(s.accuracyPerPflop)], ['Accuracy per device-hour', compact(s.accuracyPerDeviceHour)],
    ['Phases', record.phases ? Object.entries(record.phases).map(([k, v]) => `${k} ${duration(v)}`).join(' · ') : '—'],
    ['Seed', record.seed === undefined || record.seed === null ? '—' : String(record.seed)],
    ['Backend', record.backend ? `${record.backend.name ?? '?'}${record.backend.reason ? ` — ${record.backend.reason}` : ''}` : '—'],
    ['Hardware', record.hardware ? [record.hardware.platform, record.hardware.cpuModel, record.hardware.cpus ? `${record.hardware.cpus} CPUs` : null, record.hardware.gpu ? JSON.stringify(record.hardware.gpu) : null, record.hardware.node].filter(Boolean).join(' · ') : '—'],
    ['Git', record.git ? `${record.git.commit ?? '?'}${record.git.dirty ? ' (dirty)' : ''}` : '—'],
    ['Command', record.command?.join(' ') ?? '—'],
    ['Feature cache', record.featureCache ? (record.featureCache.used ? (record.featureCache.hit ? 'used (hit)' : 'used (computed)') : 'off') : '—'],
    ['Resumed from', record.resumedFrom ? `epoch ${record.resumedFrom.epoch}, step ${record.resumedFrom.globalStep}` : '—'],
    ['Tags', s.tags.join(', ') || '—'], ['Notes', record.notes || '—'],
  ].filter(([, v]) => v !== '').map(([label, value]) => ({ label, value }));
  return {
    pageTitle: s.id,
    id: s.id,
    running: s.status === 'running' && !s.stale,
    ...statusView(s),
    summary: runRow(s, ctx.links),
    meta,
    charts,
    perClassSvg,
    images,
    definitionJson: record.definition ? JSON.stringify(record.definition, null, 2) : definitionText,
    definitionFlat: Object.entries(flatten(record.definition ?? {})).map(([key, value]) => ({ key, value: formatDefinitionValue(value) })),
    warnings: [...s.warnings, ...(run.events?.warnings() ?? [])],
    options: { smoothing: opts.smoothing, x: { step: opts.xAxis === 'step', relative: opts.xAxis === 'relative', wall: opts.xAxis === 'wall' } },
    tensorboard: tb,
    scalarLinks: ctx.links.mode === 'server'
      ? (run.events?.scalarKeys() ?? []).filter((k) => !k.startsWith('test/per_class_accuracy/')).map((key) => ({ key, href: `/api/runs/${encodeRunPath(id)}/scalars?${new URLSearchParams({ tag: key }).toString()}` }))
      : [],
  };
}

/** From run.json, else from the last value of each `test/per_class_accuracy/<class>` scalar. */
function perClassAccuracy(run: CompareRun): { label: string; value: number }[] {
  if (run.record.perClassAccuracy) return Object.entries(run.record.perClassAccuracy).map(([label, value]) => ({ label, value }));
  const prefix = 'test/per_class_accuracy/';
  return (run.events?.scalarKeys() ?? []).filter((k) => k.startsWith(prefix)).flatMap((k) => {
    const last = run.events!.scalars(k).at(-1);
    return last ? [{ label: k.slice(prefix.length), value: last.value }] : [];
  });
}
