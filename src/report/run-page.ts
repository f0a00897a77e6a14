import { barSpec, renderSvg } from './charts.ts';
import type { XAxis } from './curves.ts';
import { flatten, formatDefinitionValue } from './diff.ts';
import { compact, duration, fixed, int, pct, si } from './format.ts';
import { curveCharts, DEFAULT_COMPARE, loadRuns, perClassAccuracy, statusView, type ReportContext } from './page-common.ts';
import { encodeRunPath } from '../run/layout.ts';
import { runRow } from './runs-page.ts';
import { tensorboardLinks } from './tensorboard-link.ts';

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
