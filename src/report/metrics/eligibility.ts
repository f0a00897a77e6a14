import type { MeasuredRun } from './measured-run.ts';
import type { RunSummary } from './run-summary.ts';

/** One quality measure per view: test accuracy when every run has one, else best validation accuracy. */
export type QualityMeasure = 'test' | 'validation';

export function viewMeasure(summaries: readonly RunSummary[]): QualityMeasure {
  return summaries.length > 0 && summaries.every((s) => s.finalTestAccuracy !== null) ? 'test' : 'validation';
}

export function measureTitle(m: QualityMeasure): string {
  return m === 'test' ? 'test accuracy' : 'best validation accuracy';
}

export function qualityOf(s: RunSummary, m: QualityMeasure): number | null {
  return m === 'test' ? s.finalTestAccuracy : s.bestValAccuracy;
}

/** Above this accuracy a run has learnt something: chance (1 / classes) plus a margin. */
const CHANCE_MARGIN = 0.05;

export function chanceLevel(run: Pick<MeasuredRun, 'record'>): { classes: number; limit: number } {
  const names = run.record.dataset?.classNames?.length;
  const perClass = run.record.perClassAccuracy ? Object.keys(run.record.perClassAccuracy).length : 0;
  const classes = names && names > 1 ? names : perClass > 1 ? perClass : 10;
  return { classes, limit: 1 / classes + CHANCE_MARGIN };
}

/** Why a run may be drawn but never be on a Pareto front (or a winner), or null when it may. */
export function exclusionReason(
  run: Pick<MeasuredRun, 'summary' | 'record'>,
  quality: number | null,
  cost: number | null,
): string | null {
  const s = run.summary;
  if (s.deadReason) return `dead (${s.deadReason})`;
  if (s.stale) return 'stale (no update for a long time; the process most likely died)';
  if (s.status === 'failed') return 'failed';
  if (s.status === 'running') return 'unfinished (running)';
  if (s.status === 'interrupted') return 'unfinished (interrupted)';
  if (quality === null) return 'no accuracy recorded';
  if (cost === null || !(cost > 0)) return 'no cost recorded';
  const chance = chanceLevel(run);
  if (quality <= chance.limit)
    return `at chance level (≤ ${Math.round(chance.limit * 100)} % for ${chance.classes} classes)`;
  return null;
}
