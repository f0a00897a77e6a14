import cliProgress from 'cli-progress';

export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';

export interface ProgressReporter {
  update(bytes: number): void;
  finish(ok: boolean): void;
}

const MiB = 1024 * 1024;
const mib = (bytes: number): string => (bytes / MiB).toFixed(1);

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean };
type Rate = (bytes: number) => number;

/** Reports bytes, rate and ETA: a live bar on a TTY, a plain line every few seconds otherwise. */
export function createProgress(
  mode: ProgressMode,
  label: string,
  total: number | undefined,
  stream: ProgressStream = process.stderr,
  lineIntervalMs = 5000,
): ProgressReporter {
  const resolved = mode === 'auto' ? (stream.isTTY ? 'bar' : 'lines') : mode;
  if (resolved === 'none') return { update() {}, finish() {} };
  const start = Date.now();
  const rate = (bytes: number): number => bytes / Math.max((Date.now() - start) / 1000, 1e-3);
  return resolved === 'bar'
    ? barProgress(label, total, stream, rate)
    : lineProgress(label, total, stream, rate, start, lineIntervalMs);
}

function barProgress(label: string, total: number | undefined, stream: ProgressStream, rate: Rate): ProgressReporter {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: total
        ? `${label} [{bar}] {percentage}% | {got}/{all} MiB | {speed} MiB/s | ETA {eta_formatted}`
        : `${label} {got} MiB | {speed} MiB/s`,
      hideCursor: true,
      etaBuffer: 50,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total ?? 0, 0, { got: '0.0', all: total ? mib(total) : '?', speed: '0.0' });
  return {
    update(bytes) {
      bar.update(bytes, { got: mib(bytes), speed: mib(rate(bytes)) });
    },
    finish() {
      bar.stop();
    },
  };
}

function lineProgress(
  label: string,
  total: number | undefined,
  stream: ProgressStream,
  rate: Rate,
  start: number,
  lineIntervalMs: number,
): ProgressReporter {
  let lastLine = start;
  let lastBytes = 0;
  const line = (bytes: number): string => {
    const r = rate(bytes);
    const share = total ? `/${mib(total)} MiB (${Math.floor((100 * bytes) / total)}%)` : ' MiB';
    const eta = total ? `, ETA ${formatSeconds((total - bytes) / r)}` : '';
    return `${label}: ${mib(bytes)}${share}, ${mib(r)} MiB/s${eta}\n`;
  };
  stream.write(`${label}: starting${total ? ` (${mib(total)} MiB)` : ''}\n`);
  return {
    update(bytes) {
      lastBytes = bytes;
      const now = Date.now();
      if (now - lastLine >= lineIntervalMs) {
        lastLine = now;
        stream.write(line(bytes));
      }
    },
    finish(ok) {
      const secs = ((Date.now() - start) / 1000).toFixed(1);
      stream.write(
        ok ? `${label}: done, ${mib(lastBytes)} MiB in ${secs} s\n` : `${label}: failed after ${mib(lastBytes)} MiB\n`,
      );
    },
  };
}
