import type { LenientRunRecord as RunRecord } from '../run/record.ts';
import { parseTime } from './summary.ts';

/** One point per completed epoch: when it ended and what validation accuracy it reached. */
export interface EpochPoint {
  epoch: number;
  /** Optimizer step at the end of the epoch, when known. */
  step: number | null;
  /** Seconds since the run started. */
  elapsedSeconds: number | null;
  valAccuracy: number;
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Epoch points from run.json's history, else from validation/epoch_accuracy (step = epoch). */
export function epochPoints(record: RunRecord, validationAccuracy?: { step: number; wallTime: number; value: number }[]): EpochPoint[] {
  const start = parseTime(record.startTime);
  const history = record.history ?? [];
  if (history.length > 0) {
    let cumulative = 0;
    return history.flatMap((h) => {
      if (finite(h.seconds)) cumulative += h.seconds;
      if (!finite(h.valAccuracy)) return [];
      // wallTime is in seconds like event files; tolerate milliseconds.
      const wall = finite(h.wallTime) ? (h.wallTime > 1e11 ? h.wallTime / 1000 : h.wallTime) : null;
      const elapsed = wall !== null && start !== null ? wall - start / 1000 : cumulative > 0 ? cumulative : null;
      return [{ epoch: h.epoch, step: finite(h.step) ? h.step : null, elapsedSeconds: elapsed, valAccuracy: h.valAccuracy }];
    });
  }
  if (!validationAccuracy || validationAccuracy.length === 0) return [];
  const origin = start !== null ? start / 1000 : validationAccuracy[0].wallTime;
  return validationAccuracy.map((p) => ({ epoch: p.step, step: null, elapsedSeconds: p.wallTime - origin, valAccuracy: p.value }));
}

export interface Reach {
  epoch: number;
  seconds: number | null;
  flops: number | null;
}

/**
 * The first epoch whose validation accuracy is ≥ threshold, with the time since the start and the
 * estimated compute spent by then (the run's total FLOPs pro rata of optimizer steps, else of epochs).
 */
export function firstReach(points: EpochPoint[], threshold: number, record: RunRecord): Reach | null {
  const hit = points.find((p) => p.valAccuracy >= threshold);
  if (!hit) return null;
  const totalFlops = record.compute?.flops;
  let flops: number | null = null;
  if (finite(totalFlops)) {
    const totalSteps = record.globalStep;
    const totalEpochs = record.epochs?.completed ?? points.length;
    if (hit.step !== null && finite(totalSteps) && totalSteps > 0) flops = totalFlops * Math.min(1, hit.step / totalSteps);
    else if (finite(totalEpochs) && totalEpochs > 0) flops = totalFlops * Math.min(1, (hit.epoch + 1) / totalEpochs);
  }
  return { epoch: hit.epoch, seconds: hit.elapsedSeconds, flops };
}
