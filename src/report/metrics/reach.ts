import type { ScalarPoint } from '../../tensorboard/index.ts';
import type { LenientRunRecord as RunRecord } from '../../run/record.ts';
import { parseTime } from './run-summary.ts';

/** One point per completed epoch: when it ended and what validation accuracy it reached. */
interface EpochPoint {
  epoch: number;
  /** Optimizer step at the end of the epoch, when known. */
  step: number | null;
  /** Seconds since the run started. */
  elapsedSeconds: number | null;
  valAccuracy: number;
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Epoch points from run.json's history, else from validation/epoch_accuracy (step = epoch). */
export function epochPoints(record: RunRecord, validationAccuracy?: ScalarPoint[]): EpochPoint[] {
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
      const step = finite(h.step) ? h.step : null;
      return [{ epoch: h.epoch, step, elapsedSeconds: elapsed, valAccuracy: h.valAccuracy }];
    });
  }
  if (!validationAccuracy || validationAccuracy.length === 0) return [];
  const origin = start !== null ? start / 1000 : validationAccuracy[0].wallTime;
  return validationAccuracy.map((p) => ({
    epoch: p.step,
    step: null,
    elapsedSeconds: p.wallTime - origin,
    valAccuracy: p.value,
  }));
}

interface Reach {
  epoch: number;
  seconds: number | null;
  flops: number | null;
}

/** The run's total FLOPs pro rata of optimizer steps up to `hit`, else of epochs; null without a total. */
function flopsUpTo(hit: EpochPoint, points: EpochPoint[], record: RunRecord): number | null {
  const totalFlops = record.compute?.flops;
  if (!finite(totalFlops)) return null;
  const totalSteps = record.globalStep;
  if (hit.step !== null && finite(totalSteps) && totalSteps > 0) {
    return totalFlops * Math.min(1, hit.step / totalSteps);
  }
  const totalEpochs = record.epochs?.completed ?? points.length;
  if (finite(totalEpochs) && totalEpochs > 0) return totalFlops * Math.min(1, (hit.epoch + 1) / totalEpochs);
  return null;
}

/**
 * The first epoch whose validation accuracy is ≥ threshold, with the time since the start and the
 * estimated compute spent by then.
 */
export function firstReach(points: EpochPoint[], threshold: number, record: RunRecord): Reach | null {
  const hit = points.find((p) => p.valAccuracy >= threshold);
  if (!hit) return null;
  return { epoch: hit.epoch, seconds: hit.elapsedSeconds, flops: flopsUpTo(hit, points, record) };
}
