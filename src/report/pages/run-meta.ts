import type { RunSummary } from '../metrics/run-summary.ts';
import type { LenientRunRecord as RunRecord } from '../../run/record.ts';
import { clip, compact, duration, fixed, int, pct, si } from './format.ts';

type Row = [label: string, value: string];

function orDash<T>(value: T | null | undefined, show: (v: T) => string): string {
  return value === null || value === undefined ? '—' : show(value);
}

/** A truthy value shown, else nothing. */
function orBlank<T>(value: T | null | undefined, show: (v: T) => string): string {
  return value ? show(value) : '';
}

function hardware(h: NonNullable<RunRecord['hardware']>): string {
  const gpu = h.gpu ? JSON.stringify(h.gpu) : null;
  const parts = [h.platform, h.cpuModel, h.cpus ? `${h.cpus} CPUs` : null, gpu, h.node];
  return parts.filter(Boolean).join(' · ');
}

function featureCache(f: NonNullable<RunRecord['featureCache']>): string {
  if (!f.used) return 'off';
  return f.hit ? 'used (hit)' : 'used (computed)';
}

function identityRows(s: RunSummary, r: RunRecord): Row[] {
  return [
    ['Experiment', s.experiment],
    ['Name', s.name ?? '—'],
    ['Status', s.deadReason ? `dead — ${s.deadReason}` : s.stale ? 'running (stale)' : s.status],
    ['Error', clip(s.error ?? '', 20, 4000)],
    ['Started', s.startTime ?? '—'],
    ['Ended', s.endTime ?? '—'],
    ['Wall time', duration(s.wallSeconds)],
    ['Base model', s.baseModel ?? '—'],
    ['Freezing', s.freezing ?? '—'],
    ['Input size', orDash(s.inputSize, (v) => `${v} px`)],
    ['Epochs', `${s.epochsCompleted ?? '?'} of ${s.epochsPlanned ?? '?'}`],
    ['Optimizer steps', int(r.globalStep)],
  ];
}

function resultRows(s: RunSummary, r: RunRecord): Row[] {
  const d = r.dataset;
  return [
    ['Best validation accuracy', orDash(s.bestValAccuracy, (v) => `${pct(v, 2)} (epoch ${(s.bestEpoch ?? 0) + 1})`)],
    ['Final validation accuracy', pct(s.finalValAccuracy, 2)],
    ['Test accuracy', pct(s.finalTestAccuracy, 2)],
    ['Test loss', fixed(r.final?.testLoss ?? null, 4)],
    ['Parameters (trainable / total)', `${int(s.trainableParams)} / ${int(s.totalParams)}`],
    ['Base parameters (trainable / total)', orDash(r.params?.base, (b) => `${int(b.trainable)} / ${int(b.total)}`)],
    ['Multiply-adds per image', `${si(s.macsPerImage)}${orBlank(r.baseMacsPerImage, (m) => ` (base ${si(m)})`)}`],
    [
      'Images (train / validation / test)',
      d ? `${int(d.train ?? null)} / ${int(d.validation ?? null)} / ${int(d.test ?? null)}` : '—',
    ],
    ['Training images seen', int(r.compute?.trainImages ?? null)],
    ['Estimated compute', si(s.flops, 'FLOP')],
    ['Device time (training, evaluation, feature extraction)', duration(s.deviceSeconds)],
    ['Images per second', fixed(s.imagesPerSecond, 1)],
    ['Accuracy per PFLOP', compact(s.accuracyPerPflop)],
    ['Accuracy per device-hour', compact(s.accuracyPerDeviceHour)],
  ];
}

function provenanceRows(s: RunSummary, r: RunRecord): Row[] {
  return [
    [
      'Phases',
      orDash(r.phases, (p) =>
        Object.entries(p)
          .map(([k, v]) => `${k} ${duration(v)}`)
          .join(' · '),
      ),
    ],
    ['Seed', orDash(r.seed, String)],
    ['Backend', orDash(r.backend, (b) => `${b.name ?? '?'}${b.reason ? ` — ${b.reason}` : ''}`)],
    ['Hardware', orDash(r.hardware, hardware)],
    ['Git', orDash(r.git, (g) => `${g.commit ?? '?'}${g.dirty ? ' (dirty)' : ''}`)],
    ['Command', r.command?.join(' ') ?? '—'],
    ['Feature cache', orDash(r.featureCache, featureCache)],
    ['Resumed from', orDash(r.resumedFrom, (f) => `epoch ${f.epoch + 1}, step ${f.globalStep}`)],
    ['Tags', s.tags.join(', ') || '—'],
    ['Notes', clip(r.notes || '—', 50, 4000)],
  ];
}

/** The run page's label/value list; an empty value (no error) leaves its row out. */
export function runMeta(s: RunSummary, record: RunRecord): { label: string; value: string }[] {
  return [...identityRows(s, record), ...resultRows(s, record), ...provenanceRows(s, record)]
    .filter(([, v]) => v !== '')
    .map(([label, value]) => ({ label, value }));
}
