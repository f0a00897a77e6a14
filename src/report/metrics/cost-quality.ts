import type { MeasuredRun } from './measured-run.ts';
import { paretoFront } from './pareto.ts';
import { epochPoints, firstReach } from './reach.ts';

export type CostAxis = 'flops' | 'hours';

export interface CostQualityRow {
  id: string;
  experiment: string;
  name: string | null;
  status: string;
  bestValAccuracy: number | null;
  bestEpoch: number | null;
  finalValAccuracy: number | null;
  finalTestAccuracy: number | null;
  quality: number | null;
  qualitySource: string | null;
  threshold: number;
  epochToThreshold: number | null;
  secondsToThreshold: number | null;
  flopsToThreshold: number | null;
  deviceHours: number | null;
  pflops: number | null;
  accuracyPerDeviceHour: number | null;
  accuracyPerPflop: number | null;
  /** On the quality-vs-cost Pareto front for the chosen cost axis. */
  pareto: boolean;
}

export function costOf(row: Pick<CostQualityRow, 'deviceHours' | 'pflops'>, axis: CostAxis): number | null {
  return axis === 'flops' ? row.pflops : row.deviceHours;
}

function rowOf({ summary: s, record, events }: MeasuredRun, threshold: number): CostQualityRow {
  const reach = firstReach(epochPoints(record, events?.scalars('validation/epoch_accuracy')), threshold, record);
  return {
    id: s.id,
    experiment: s.experiment,
    name: s.name,
    status: s.stale ? 'stale' : s.status,
    bestValAccuracy: s.bestValAccuracy,
    bestEpoch: s.bestEpoch,
    finalValAccuracy: s.finalValAccuracy,
    finalTestAccuracy: s.finalTestAccuracy,
    quality: s.quality,
    qualitySource: s.qualitySource,
    threshold,
    epochToThreshold: reach?.epoch ?? null,
    secondsToThreshold: reach?.seconds ?? null,
    flopsToThreshold: reach?.flops ?? null,
    deviceHours: s.deviceSeconds !== null ? s.deviceSeconds / 3600 : null,
    pflops: s.flops !== null ? s.flops / 1e15 : null,
    accuracyPerDeviceHour: s.accuracyPerDeviceHour,
    accuracyPerPflop: s.accuracyPerPflop,
    pareto: false,
  };
}

/** The cost/quality table for runs compared against one validation-accuracy threshold (0..1). */
export function costQualityRows(runs: readonly MeasuredRun[], threshold: number, axis: CostAxis): CostQualityRow[] {
  const rows = runs.map((run) => rowOf(run, threshold));
  const front = paretoFront(rows.map((r) => ({ id: r.id, cost: costOf(r, axis) ?? NaN, quality: r.quality ?? NaN })));
  for (const r of rows) r.pareto = front.has(r.id);
  return rows;
}
