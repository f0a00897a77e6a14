import { flatten, formatDefinitionValue } from '../metrics/definition-diff.ts';
import { perClassAccuracy } from '../metrics/per-class-accuracy.ts';
import { encodeRunPath } from '../../run/layout.ts';
import { loadRuns, type LoadedRun } from '../store/load-runs.ts';
import { barSpec } from './charts/bar-charts.ts';
import { curveCharts } from './charts/curve-charts.ts';
import type { XAxis } from './charts/curve-points.ts';
import { renderSvg } from './charts/render-svg.ts';
import { DEFAULT_COMPARE, type ReportContext } from './context.ts';
import { runMeta } from './run-meta.ts';
import { runRow } from './runs-page.ts';
import { statusView } from './status-view.ts';
import { tensorboardLinks } from './tensorboard-links.ts';

interface ImageView {
  key: string;
  src: string;
  step: number;
  count: number;
  width: number;
  height: number;
}

interface RunPageOptions {
  smoothing: number;
  xAxis: XAxis;
  inlineImages: boolean;
}

/** The last image of each image tag: inlined as a data URI (static export) or linked from the API. */
function imagesOf(ctx: ReportContext, run: LoadedRun, inline: boolean): ImageView[] {
  const images: ImageView[] = [];
  for (const key of run.events?.imageKeys() ?? []) {
    const all = run.events!.images(key);
    const last = all[all.length - 1];
    if (!last) continue;
    const src = inline
      ? `data:image/png;base64,${Buffer.from(last.png).toString('base64')}`
      : ctx.links.image(run.summary.id, key, all.length - 1)!;
    images.push({ key, src, step: last.step, count: all.length, width: last.width, height: last.height });
  }
  return images;
}

async function perClassChart(ctx: ReportContext, run: LoadedRun): Promise<string | null> {
  const rows = perClassAccuracy(run);
  if (rows.length === 0) return null;
  const spec = barSpec({ title: 'Test accuracy per class', rows, xTitle: 'accuracy' });
  return ctx.charts.get(`perclass|${run.summary.id}|${ctx.store.version}`, () => renderSvg(spec));
}

/** Links to each scalar series as JSON (live site only). */
function scalarLinks(ctx: ReportContext, run: LoadedRun) {
  if (ctx.links.mode !== 'server') return [];
  const keys = (run.events?.scalarKeys() ?? []).filter((k) => !k.startsWith('test/per_class_accuracy/'));
  const base = `/api/runs/${encodeRunPath(run.summary.id)}/scalars`;
  return keys.map((key) => ({ key, href: `${base}?${new URLSearchParams({ tag: key }).toString()}` }));
}

/** The run's definition as JSON: from run.json, else the `definition` text its event files carry. */
function definitionJson(run: LoadedRun): string | null {
  if (run.record.definition) return JSON.stringify(run.record.definition, null, 2);
  return run.events?.texts('definition').at(-1)?.text ?? null;
}

export async function runPage(ctx: ReportContext, id: string, opts: RunPageOptions) {
  const [run] = await loadRuns(ctx.store, [id]);
  if (!run) return null;
  const { summary: s, record } = run;
  const flat = Object.entries(flatten(record.definition ?? {}));
  return {
    pageTitle: s.id,
    id: s.id,
    running: s.status === 'running' && !s.stale,
    ...statusView(s),
    summary: runRow(s, ctx.links),
    meta: runMeta(s, record),
    charts: await curveCharts(ctx, [run], { ...DEFAULT_COMPARE, ...opts }, 'split'),
    perClassSvg: await perClassChart(ctx, run),
    images: imagesOf(ctx, run, opts.inlineImages),
    definitionJson: definitionJson(run),
    definitionFlat: flat.map(([key, value]) => ({ key, value: formatDefinitionValue(value) })),
    warnings: [...s.warnings, ...(run.events?.warnings() ?? [])],
    options: {
      smoothing: opts.smoothing,
      x: { step: opts.xAxis === 'step', relative: opts.xAxis === 'relative', wall: opts.xAxis === 'wall' },
    },
    tensorboard: tensorboardLinks(ctx.tensorboardUrl, { runIds: [id], smoothing: opts.smoothing }),
    scalarLinks: scalarLinks(ctx, run),
  };
}
