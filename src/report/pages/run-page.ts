import { flatten, formatDefinitionValue } from '../metrics/definition-diff.ts';
import { perClassAccuracy } from '../metrics/per-class-accuracy.ts';
import { encodeRunPath } from '../../run/layout.ts';
import { loadRuns, type LoadedRun } from '../store/load-runs.ts';
import { barSpec } from './charts/bar-charts.ts';
import { curveCharts } from './charts/curve-charts.ts';
import type { XAxis } from './charts/curve-points.ts';
import { renderSvg } from './charts/render-svg.ts';
import type { ReportContext } from './context.ts';
import { identitiesOf } from './identity.ts';
import { runMeta } from './run-meta.ts';
import { runRow } from './runs-page.ts';
import { statusView } from './status-view.ts';
import { tensorboardLinks } from './tensorboard-links.ts';

interface RunPageOptions {
  smoothing: number;
  xAxis: XAxis;
  inlineImages: boolean;
}

/** At most this many images per tag go into a page (the slider steps through them). */
const MAX_IMAGES_PER_TAG = 30;
const CLASS_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** The class names in label order: run.json's dataset, else CIFAR-10's when the run has 10 classes. */
function classNamesOf(run: LoadedRun): string[] {
  const names = run.record.dataset?.classNames;
  if (names && names.length > 0) return names;
  const perClass = run.record.perClassAccuracy ? Object.keys(run.record.perClassAccuracy) : [];
  return perClass.length > 0 ? perClass : CLASS_NAMES;
}

/** Every image of each tag (the latest 30), inlined as data URIs (static export) or linked from the API. */
function imagesOf(ctx: ReportContext, run: LoadedRun, inline: boolean) {
  return (run.events?.imageKeys() ?? []).flatMap((key) => {
    const all = run.events!.images(key);
    if (all.length === 0) return [];
    const first = Math.max(0, all.length - MAX_IMAGES_PER_TAG);
    const frames = all.slice(first).map((img, i) => ({
      step: img.step,
      src: inline
        ? `data:image/png;base64,${Buffer.from(img.png).toString('base64')}`
        : ctx.links.image(run.summary.id, key, first + i)!,
    }));
    const last = all[all.length - 1];
    const isConfusion = key.includes('confusion');
    return [
      {
        key,
        frames,
        latest: frames[frames.length - 1],
        lastIndex: frames.length - 1,
        slider: frames.length > 1,
        count: all.length,
        width: last.width,
        height: last.height,
        classNames: isConfusion ? classNamesOf(run) : null,
      },
    ];
  });
}

/** The run's text summaries (the definition is shown on its own), latest value first. */
function textsOf(run: LoadedRun) {
  return (run.events?.textKeys() ?? [])
    .filter((k) => k !== 'definition')
    .map((key) => {
      const all = run.events!.texts(key);
      const last = all[all.length - 1];
      return { key, text: last?.text ?? '', step: last?.step ?? 0, count: all.length };
    });
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
  const identity = identitiesOf(ctx.store).get(id);
  const flat = Object.entries(flatten(record.definition ?? {}));
  return {
    pageTitle: identity?.name ?? s.id,
    id: s.id,
    name: identity?.name ?? s.id,
    color: identity?.color,
    running: s.status === 'running' && !s.stale && !s.deadReason,
    ...statusView(s),
    summary: runRow(s, ctx.links, identity),
    meta: runMeta(s, record),
    charts: curveCharts(ctx, [run], 'split'),
    perClassSvg: await perClassChart(ctx, run),
    images: imagesOf(ctx, run, opts.inlineImages),
    texts: textsOf(run),
    definitionJson: definitionJson(run),
    definitionFlat: flat.map(([key, value]) => ({ key, value: formatDefinitionValue(value) })),
    warnings: [...s.warnings, ...(run.events?.warnings() ?? [])],
    options: {
      smoothing: opts.smoothing,
      x: { step: opts.xAxis === 'step', relative: opts.xAxis === 'relative', wall: opts.xAxis === 'wall' },
    },
    tensorboard: ctx.tensorboardUrl
      ? tensorboardLinks(ctx.tensorboardUrl, { runIds: [id], smoothing: opts.smoothing })
      : null,
    scalarLinks: scalarLinks(ctx, run),
  };
}
