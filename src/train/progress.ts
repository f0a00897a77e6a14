import cliProgress from 'cli-progress';

interface ProgressUpdate {
  batch: number;
  loss: number;
  accuracy: number;
  imagesPerSecond: number;
}

/** Per-epoch progress: a cli-progress bar on a TTY, plain periodic lines otherwise (CI, pipes). */
export interface EpochProgress {
  start(epoch: number, epochs: number, totalBatches: number, startBatch: number): void;
  update(u: ProgressUpdate): void;
  stop(summary: string): void;
  log(line: string): void;
}

export function createProgress(
  mode: 'auto' | 'bar' | 'lines' | 'none' = 'auto',
  stream: NodeJS.WriteStream = process.stderr,
): EpochProgress {
  const useBar = mode === 'bar' || (mode === 'auto' && stream.isTTY === true);
  if (mode === 'none') return { start() {}, update() {}, stop() {}, log() {} };
  return useBar ? barProgress(stream) : lineProgress(stream);
}

function barProgress(stream: NodeJS.WriteStream): EpochProgress {
  let bar: cliProgress.SingleBar | null = null;
  return {
    start(epoch, epochs, total, startBatch) {
      bar = new cliProgress.SingleBar(
        {
          stream,
          format:
            `epoch ${epoch + 1}/${epochs} |{bar}| {value}/{total} · ` +
            'loss {loss} · acc {acc} · {ips} img/s · ETA {eta_formatted}',
          barsize: 24,
          hideCursor: true,
          clearOnComplete: false,
          etaBuffer: 50,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, startBatch, { loss: '-', acc: '-', ips: '-' });
    },
    update(u) {
      bar?.update(u.batch, { loss: u.loss.toFixed(4), acc: u.accuracy.toFixed(3), ips: u.imagesPerSecond.toFixed(1) });
    },
    stop(summary) {
      bar?.stop();
      bar = null;
      stream.write(`${summary}\n`);
    },
    log(line) {
      if (bar) stream.write('\n');
      stream.write(`${line}\n`);
    },
  };
}

function lineProgress(stream: NodeJS.WriteStream, everyMs = 10_000): EpochProgress {
  let last = 0;
  let label = '';
  let total = 0;
  let started = 0;
  let startBatch = 0;
  return {
    start(epoch, epochs, totalBatches, first) {
      label = `epoch ${epoch + 1}/${epochs}`;
      total = totalBatches;
      startBatch = first;
      started = Date.now();
      last = 0;
    },
    update(u) {
      const now = Date.now();
      // Always report the first batch, so a watcher (or a test) sees training has started.
      if (last !== 0 && now - last < everyMs && u.batch !== total) return;
      last = now;
      const done = u.batch - startBatch;
      const eta = done > 0 ? (((now - started) / done) * (total - u.batch)) / 1000 : NaN;
      stream.write(
        `${label} batch ${u.batch}/${total} · loss ${u.loss.toFixed(4)} · acc ${u.accuracy.toFixed(3)} · ` +
          `${u.imagesPerSecond.toFixed(1)} img/s · ETA ${Number.isFinite(eta) ? `${eta.toFixed(0)} s` : '-'}\n`,
      );
    },
    stop(summary) {
      stream.write(`${summary}\n`);
    },
    log(line) {
      stream.write(`${line}\n`);
    },
  };
}
