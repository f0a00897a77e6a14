// Progress as plain lines, for logs that are not a terminal (CI, pipes, a sweep's trial output): the
// first step or batch of images at once (a watcher sees the phase has started), then one line every
// 10 s, and the last one; each with its ETA from the rate so far.
import { etaText, type Clock, type PassProgress, type TerminalProgress } from './progress-contract.ts';

const EVERY_MS = 10_000;

/** Whether to write a line now: the first, the last, or EVERY_MS after the previous one. */
function throttle(clock: Clock) {
  let last: number | null = null;
  return (final: boolean): boolean => {
    const now = clock();
    if (last !== null && now - last < EVERY_MS && !final) return false;
    last = now;
    return true;
  };
}

/** Seconds left at the rate so far: `done` of `total` after `elapsedMs` (NaN before any is done). */
const secondsLeft = (done: number, total: number, elapsedMs: number) =>
  done > 0 ? ((elapsedMs / done) * (total - done)) / 1000 : NaN;

function linePass(write: (line: string) => void, clock: Clock, label: string, total: number): PassProgress {
  const started = clock();
  const due = throttle(clock);
  let ended = false;
  return {
    update(done) {
      if (ended || !due(done >= total)) return;
      const elapsed = clock() - started;
      const rate = elapsed > 0 ? ((done / elapsed) * 1000).toFixed(0) : '-';
      write(`${label}: ${done}/${total} images · ${rate} img/s · ETA ${etaText(secondsLeft(done, total, elapsed))}`);
    },
    end() {
      ended = true;
    },
  };
}

export function lineProgress(write: (line: string) => void, clock: Clock): TerminalProgress {
  let due = throttle(clock);
  let label = '';
  let total = 0;
  let started = 0;
  let startBatch = 0;
  return {
    start(epoch, epochs, totalBatches, first) {
      label = `epoch ${epoch + 1}/${epochs}`;
      total = totalBatches;
      startBatch = first;
      started = clock();
      due = throttle(clock);
    },
    update(u) {
      if (!due(u.batch === total)) return;
      const eta = secondsLeft(u.batch - startBatch, total - startBatch, clock() - started);
      write(
        `${label} batch ${u.batch}/${total} · loss ${u.loss.toFixed(4)} · acc ${u.accuracy.toFixed(3)} · ` +
          `${u.imagesPerSecond.toFixed(1)} img/s · ETA ${etaText(eta)}`,
      );
    },
    stop: write,
    log: write,
    pass: (passLabel, passTotal) => linePass(write, clock, passLabel, passTotal),
  };
}
