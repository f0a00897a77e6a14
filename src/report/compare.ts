import type { RunEvents } from './run-events.ts';
import type { LenientRunRecord as RunRecord } from '../run/record.ts';
import type { RunSummary } from './summary.ts';
import { definitionDiff, formatDefinitionValue } from './diff.ts';
import { paretoFront } from './pareto.ts';
import { epochPoints, firstReach } from './reach.ts';

export type CostAxis = 'flops' | 'hours';

export interface CompareRun { summary: RunSummary; record: RunRecord; events?: RunEvents }

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

/** The cost/quality table for runs compared against one validation-accuracy threshold (0..1). */
export function costQualityRows(runs: CompareRun[], threshold: number, axis: CostAxis): CostQualityRow[] {
  const rows = runs.map(({ summary: s, record, events }): CostQualityRow => {
    const reach = firstReach(epochPoints(record, events?.scalars('validation/epoch_accuracy')), threshold, record);
    return {
      id: s.id, experiment: s.experiment, name: s.name, status: s.stale ? 'stale' : s.status,
      bestValAccuracy: s.bestValAccuracy, bestEpoch: s.bestEpoch,
      finalValAccuracy: s.finalValAccuracy, finalTestAccuracy: s.finalTestAccuracy,
      quality: s.quality, qualitySource: s.qualitySource,
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
  });
  const front = paretoFront(rows.map((r) => ({ id: r.id, cost: costOf(r, axis) ?? NaN, quality: r.quality ?? NaN })));
  for (const r of rows) r.pareto = front.has(r.id);
  return rows;
}

export interface DiffView { headers: string[]; rows: { key: string; cells: string[] }[]; sameCount: number }

export function definitionDiffView(runs: CompareRun[]): DiffView {
  const { rows, sameCount } = definitionDiff(runs.map((r) => r.record.definition ?? {}));
  return {
    headers: runs.map((r) => r.summary.id),
    rows: rows.map((row) => ({ key: row.key, cells: row.values.map(formatDefinitionValue) })),
    sameCount,
  };
}
