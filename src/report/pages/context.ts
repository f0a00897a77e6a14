import { lineChartSpec, renderSvg, SvgCache } from './charts.ts';
import type { CompareRun, CostAxis } from './compare.ts';
import { groupPoints, METRIC_GROUPS, type CurveRun, type XAxis } from './curves.ts';
import type { SiteLinks } from './links.ts';
import type { RunStore } from './store.ts';
import type { RunSummary } from './summary.ts';

// What the three page builders (runs-page, compare-page, run-page) share.

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

export function statusView(s: RunSummary) {
  const status = s.stale ? 'stale' : s.status;
  const title = s.stale ? 'running, but no update for a long time' : s.error ?? (s.progress ? `running: ${s.progress}` : status);
  return { status, statusClass: `status-${status}`, statusTitle: title, progress: s.stale ? null : s.progress };
}

/** Shortens a long label in the middle, where run paths tend to repeat themselves least. */
function ellipsize(label: string, max = 48): string {
  if (label.length <= max) return label;
  const head = Math.ceil((max - 1) * 0.4);
  return `${label.slice(0, head)}…${label.slice(label.length - (max - 1 - head))}`;
}

/**
 * Legend labels: the last two path segments (`experiment/name`; the run folder's timestamp is
 * dropped when it has a name and shown as a time when not), falling back to the full id wherever
 * two labels would collide; long labels are shortened in the middle.
 */
export function shortLabels(ids: readonly string[]): string[] {
  const short = ids.map((id) => {
    const parts = id.split('/');
    const last = parts.pop()!;
    const m = /^(\d{8})-(\d{6})(?:-(.+))?$/.exec(last);
    const tail = m ? (m[3] ?? `${m[1].slice(4, 6)}-${m[1].slice(6)} ${m[2].slice(0, 2)}:${m[2].slice(2, 4)}:${m[2].slice(4)}`) : last;
    return [...parts.slice(-1), tail].join('/');
  });
  const counts = new Map<string, number>();
  for (const s of short) counts.set(s, (counts.get(s) ?? 0) + 1);
  const labels = short.map((s, i) => ellipsize(counts.get(s)! > 1 ? ids[i] : s));
  // Middle-shortening can itself collide; number those.
  const seen = new Map<string, number>();
  return labels.map((l) => {
    const n = (seen.get(l) ?? 0) + 1;
    seen.set(l, n);
    return n > 1 ? `${l} (${n})` : l;
  });
}

export function spread(values: number[]): number {
  const pos = values.filter((v) => v > 0);
  return pos.length ? Math.max(...pos) / Math.min(...pos) : 1;
}

export async function loadRuns(ctx: ReportContext, ids: readonly string[]): Promise<CompareRun[]> {
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

export async function curveCharts(ctx: ReportContext, runs: CompareRun[], opts: CompareOptions, colorBy: 'series' | 'split') {
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

/** From run.json, else from the last value of each `test/per_class_accuracy/<class>` scalar. */
export function perClassAccuracy(run: CompareRun): { label: string; value: number }[] {
  if (run.record.perClassAccuracy) return Object.entries(run.record.perClassAccuracy).map(([label, value]) => ({ label, value }));
  const prefix = 'test/per_class_accuracy/';
  return (run.events?.scalarKeys() ?? []).filter((k) => k.startsWith(prefix)).flatMap((k) => {
    const last = run.events!.scalars(k).at(-1);
    return last ? [{ label: k.slice(prefix.length), value: last.value }] : [];
  });
}
