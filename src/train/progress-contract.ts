// What the loop, the feature cache and the run ask of the terminal progress (progress.ts builds it).

interface ProgressUpdate {
  batch: number;
  loss: number;
  accuracy: number;
  imagesPerSecond: number;
}

/** One counted pass over images. */
export interface PassProgress {
  /** Images done so far. */
  update(done: number): void;
  /** The pass is over (its bar stays on screen); calling it again does nothing. */
  end(): void;
}

export interface TerminalProgress {
  start(epoch: number, epochs: number, totalBatches: number, startBatch: number): void;
  update(u: ProgressUpdate): void;
  /** Ends the epoch (or the pass in progress) with its summary line. */
  stop(summary: string): void;
  log(line: string): void;
  /** A pass of `total` images labelled e.g. "features train 96 px" or "epoch 1/6 validation". */
  pass(label: string, total: number): PassProgress;
}

/** Milliseconds, monotonic (a test passes a fake one). */
export type Clock = () => number;

/** "-" until there is a rate; seconds below 100 s, then minutes, then hours. */
export function etaText(seconds: number): string {
  if (!Number.isFinite(seconds)) return '-';
  if (seconds < 100) return `${Math.max(0, seconds).toFixed(0)} s`;
  if (seconds < 6000) return `${(seconds / 60).toFixed(0)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
