// A run's terminal progress: the epochs (optimizer steps) and the counted passes that write no events
// (feature extraction, the validation pass after each epoch, the test set). A cli-progress bar with
// its ETA on a TTY, plain periodic lines with an ETA otherwise (CI, pipes), nothing with 'none'.
import type { ProgressMode } from '../experiment/names.ts';
import { barProgress } from './progress-bar.ts';
import { lineProgress } from './progress-lines.ts';
import type { Clock, PassProgress, TerminalProgress } from './progress-contract.ts';

const NO_PASS: PassProgress = { update() {}, end() {} };

export function createProgress(
  mode: ProgressMode = 'auto',
  stream: NodeJS.WriteStream = process.stderr,
  clock: Clock = () => performance.now(),
): TerminalProgress {
  if (mode === 'none') return { start() {}, update() {}, stop() {}, log() {}, pass: () => NO_PASS };
  const useBar = mode === 'bar' || (mode === 'auto' && stream.isTTY === true);
  return useBar ? barProgress(stream) : lineProgress((line) => stream.write(`${line}\n`), clock);
}

/** Plain lines through `write` (API callers that pass their own log and no progress). */
export function progressLines(write: (line: string) => void): TerminalProgress {
  return lineProgress(write, () => performance.now());
}
