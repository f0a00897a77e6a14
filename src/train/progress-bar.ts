// Progress as cli-progress bars on a terminal: one per epoch, then one per counted pass (the epoch's
// bar is left complete above the validation bar instead of sitting at its last step meanwhile).
import cliProgress from 'cli-progress';
import type { PassProgress, TerminalProgress } from './progress-contract.ts';

function newBar(stream: NodeJS.WriteStream, format: string): cliProgress.SingleBar {
  return new cliProgress.SingleBar(
    { stream, format, barsize: 24, hideCursor: true, clearOnComplete: false, etaBuffer: 50 },
    cliProgress.Presets.shades_classic,
  );
}

export function barProgress(stream: NodeJS.WriteStream): TerminalProgress {
  let bar: cliProgress.SingleBar | null = null;
  /** Leaves the bar on screen, complete as far as it got, and moves below it. */
  const finish = () => {
    bar?.stop();
    bar = null;
  };
  return {
    start(epoch, epochs, total, startBatch) {
      finish();
      bar = newBar(
        stream,
        `epoch ${epoch + 1}/${epochs} |{bar}| {value}/{total} · ` +
          'loss {loss} · acc {acc} · {ips} img/s · ETA {eta_formatted}',
      );
      bar.start(total, startBatch, { loss: '-', acc: '-', ips: '-' });
    },
    update(u) {
      bar?.update(u.batch, { loss: u.loss.toFixed(4), acc: u.accuracy.toFixed(3), ips: u.imagesPerSecond.toFixed(1) });
    },
    stop(summary) {
      finish();
      stream.write(`${summary}\n`);
    },
    log(line) {
      if (bar) stream.write('\n');
      stream.write(`${line}\n`);
    },
    pass(label, total) {
      finish();
      const passBar = newBar(stream, `${label} |{bar}| {value}/{total} images · {ips} img/s · ETA {eta_formatted}`);
      bar = passBar;
      const started = performance.now();
      passBar.start(total, 0, { ips: '-' });
      return barPass(passBar, started, () => bar === passBar && finish());
    },
  };
}

function barPass(passBar: cliProgress.SingleBar, started: number, end: () => void): PassProgress {
  return {
    update(done) {
      const seconds = (performance.now() - started) / 1000;
      passBar.update(done, { ips: seconds > 0 ? (done / seconds).toFixed(0) : '-' });
    },
    end,
  };
}
