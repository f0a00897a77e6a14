import { chargedCost } from './charged-cost.ts';
import { exclusionReason, qualityOf, viewMeasure, type QualityMeasure } from './eligibility.ts';
import type { MeasuredRun } from './measured-run.ts';
import { paretoFront } from './pareto.ts';
import { epochPoints, firstReach } from './reach.ts';
import type { RunSummary } from './run-summary.ts';

export type CostAxis = 'flops' | 'hours';

export interface CostQualityRow {
  id: string;
  experiment: string;
  name: string | null;
  status: string;
  bestValAccuracy: number | null;
  /** 1-based, as the terminal counts epochs. */
  bestEpoch: number | null;
  finalValAccuracy: number | null;
  finalTestAccuracy: number | null;
  /** The view's one quality measure (see `qualitySource`) for this run. */
  quality: number | null;
  qualitySource: QualityMeasure;
  threshold: number;
  /** 1-based. */
  epochToThreshold: number | null;
  secondsToThreshold: number | null;
  flopsToThreshold: number | null;
  /** Device time charged in full (a feature-cache hit pays for the extraction that filled the cache). */
  deviceSeconds: number | null;
  deviceHours: number | null;
  pflops: number | null;
  cacheHit: boolean;
  costNote: string | null;
  accuracyPerDeviceHour: number | null;
  accuracyPerPflop: number | null;
  /** On the quality-vs-cost Pareto front for the chosen cost axis. */
  pareto: boolean;
  /** Why the run can never be on the front (failed, dead, unfinished, at chance level…), else null. */
  excluded: string | null;
}

export function costOf(row: Pick<CostQualityRow, 'deviceHours' | 'pflops'>, axis: CostAxis): number | null {
  return axis === 'flops' ? row.pflops : row.deviceHours;
}

export function displayStatus(s: RunSummary): string {
  return s.deadReason ? 'dead' : s.stale ? 'stale' : s.status;
}

/** The default accuracy target: 90 % of the best validation accuracy any of the runs reached. */
export function defaultTarget(runs: readonly Pick<MeasuredRun, 'summary'>[]): number {
  const best = Math.max(0, ...runs.map((r) => r.summary.bestValAccuracy ?? 0));
  return best > 0 ? Math.round(best * 0.9 * 1000) / 1000 : 0.8;
}

type Pooled = Pick<MeasuredRun, 'summary' | 'record'>;

function rowOf(run: MeasuredRun, threshold: number, measure: QualityMeasure, axis: CostAxis, pool: readonly Pooled[]) {
  const { summary: s, record, events } = run;
  const reach = firstReach(epochPoints(record, events?.scalars('validation/epoch_accuracy')), threshold, record);
  const charged = chargedCost(run, pool);
  const quality = qualityOf(s, measure);
  const hours = charged.seconds !== null ? charged.seconds / 3600 : null;
  const pflops = charged.flops !== null ? charged.flops / 1e15 : null;
  const row: CostQualityRow = {
    id: s.id,
    experiment: s.experiment,
    name: s.name,
    status: displayStatus(s),
    bestValAccuracy: s.bestValAccuracy,
    bestEpoch: s.bestEpoch !== null ? s.bestEpoch + 1 : null,
    finalValAccuracy: s.finalValAccuracy,
    finalTestAccuracy: s.finalTestAccuracy,
    quality,
    qualitySource: measure,
    threshold,
    epochToThreshold: reach ? reach.epoch + 1 : null,
    secondsToThreshold: reach?.seconds ?? null,
    flopsToThreshold: reach?.flops ?? null,
    deviceSeconds: charged.seconds,
    deviceHours: hours,
    pflops,
    cacheHit: charged.cacheHit,
    costNote: charged.note,
    accuracyPerDeviceHour: quality !== null && hours ? quality / hours : null,
    accuracyPerPflop: quality !== null && pflops ? quality / pflops : null,
    pareto: false,
    excluded: null,
  };
  row.excluded = exclusionReason(run, quality, costOf(row, axis));
  return row;
}

/**
 * The cost/quality table of compared runs against one validation-accuracy target (0..1; NaN = the
 * default target from the runs). Costs are charged in full against `pool` (all runs of the logdir).
 */
export function costQualityRows(
  runs: readonly MeasuredRun[],
  threshold: number,
  axis: CostAxis,
  pool: readonly Pooled[] = runs,
): CostQualityRow[] {
  const target = Number.isFinite(threshold) ? threshold : defaultTarget(runs);
  const measure = viewMeasure(runs.map((r) => r.summary));
  const rows = runs.map((run) => rowOf(run, target, measure, axis, pool));
  const rated = rows.filter((r) => r.excluded === null);
  const front = paretoFront(rated.map((r) => ({ id: r.id, cost: costOf(r, axis) ?? NaN, quality: r.quality ?? NaN })));
  for (const r of rows) r.pareto = front.has(r.id);
  return rows;
}
