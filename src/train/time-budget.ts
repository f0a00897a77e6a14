// `--time-budget 30m`: the run's wall time from its start. Before each epoch after the first, the
// next epoch's time is predicted from the epochs measured so far (their mean, training + validation);
// training ends at the last whole epoch that fits with the test evaluation still to come.
import { UsageError } from '../experiment/usage-error.ts';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** "90s", "30m", "1h30m", "2h" → seconds. */
export function parseDuration(text: string, what = '--time-budget'): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)([smh])/g)];
  const seconds = parts.reduce((sum, [, value, unit]) => sum + Number(value) * UNITS[unit!]!, 0);
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text || !(seconds > 0)) {
    throw new UsageError(`${what}: expected a duration such as 90s, 30m or 1h30m, got "${text}"`);
  }
  return seconds;
}

export class TimeBudget {
  /** Set when the budget ended training: the predicted seconds of the epoch that did not fit. */
  private predicted: number | null = null;
  private readonly epochSeconds: number[] = [];

  /** Seconds kept for after training (the test evaluation, from the run's estimate). */
  reserveSeconds = 0;

  /**
   * @param seconds the budget
   * @param startedAt `performance.now()` when the run started
   */
  constructor(
    readonly seconds: number,
    private readonly startedAt: number,
  ) {}

  /** Records one whole epoch's wall seconds (training + validation). */
  epochDone(seconds: number): void {
    this.epochSeconds.push(seconds);
  }

  /** Whether another epoch fits at `now` (ms, performance.now()); the first epoch always runs. */
  allowsEpoch(now = performance.now()): boolean {
    if (this.epochSeconds.length === 0) return true;
    const next = this.epochSeconds.reduce((a, b) => a + b, 0) / this.epochSeconds.length;
    const elapsed = (now - this.startedAt) / 1000;
    if (elapsed + next + this.reserveSeconds <= this.seconds) return true;
    this.predicted = next;
    return false;
  }

  /** run.json's timeBudget entry. */
  entry(): { seconds: number; endedTraining: boolean; predictedEpochSeconds: number | null } {
    return { seconds: this.seconds, endedTraining: this.predicted !== null, predictedEpochSeconds: this.predicted };
  }
}
