import type { ScalarPoint } from '../../tensorboard/index.ts';
import type { LenientRunRecord as RunRecord } from '../../run/record.ts';
import type { RunSummary } from './run-summary.ts';

/** The scalar series of a run by key (`validation/epoch_accuracy`, `test/per_class_accuracy/cat`, …). */
interface ScalarSeries {
  scalarKeys(): string[];
  scalars(key: string): ScalarPoint[];
}

/** What the metrics read of a run: its summary, its record and, when loaded, its scalar series. */
export interface MeasuredRun {
  summary: RunSummary;
  record: RunRecord;
  events?: ScalarSeries;
}
