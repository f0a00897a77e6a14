// Who is running a trial, kept in the shared logdir beside the runs, renewed while the trial runs.
// The queue's own job locks live in Redis and vanish with it: after a Redis restart that lost its
// data, a re-run of the sweep queues a trial that a worker is still training, and without this a
// second worker would resume the same run at the same time.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

interface LeaseFile {
  holder: string;
  /** Milliseconds since the epoch, by the holder's clock. */
  renewedAt: number;
  ttlMs: number;
}

export interface Lease {
  release: () => void;
}

export type LeaseResult = { ok: true; lease: Lease } | { ok: false; heldBy: string; expiresInMs: number };

export function leaseDir(logdir: string, sweep: string): string {
  return join(logdir, '.sweeps', sweep, 'leases');
}

/**
 * Takes the trial's lease unless another holder renewed it within its time to live; renews it every
 * third of that until released. A holder that dies stops renewing, and the lease lapses.
 */
export function acquireLease(logdir: string, sweep: string, trialId: string, ttlMs: number): LeaseResult {
  const dir = leaseDir(logdir, sweep);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${trialId}.json`);
  const holder = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const write = (exclusive: boolean) => {
    const body = JSON.stringify({ holder, renewedAt: Date.now(), ttlMs } satisfies LeaseFile);
    if (exclusive) {
      writeFileSync(file, body, { flag: 'wx' });
      return;
    }
    const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(temp, body);
    renameSync(temp, file);
  };
  try {
    write(true);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const current = readLease(file);
    // Unreadable: being written this instant (fresh), or left half-written by a crash (old).
    const expiresInMs = current
      ? current.renewedAt + current.ttlMs - Date.now()
      : modifiedAt(file) + ttlMs - Date.now();
    if (expiresInMs > 0) return { ok: false, heldBy: current?.holder ?? '?', expiresInMs };
    write(false);
    // Two takers of a lapsed lease: the last rename wins, and the other sees it is not the holder.
    if (readLease(file)?.holder !== holder) {
      const now = readLease(file);
      return { ok: false, heldBy: now?.holder ?? '?', expiresInMs: ttlMs };
    }
  }
  const timer = setInterval(
    () => {
      try {
        if (readLease(file)?.holder === holder) write(false);
      } catch {
        // A missed renewal on a flaky shared file system; the next one may succeed before the lease lapses.
      }
    },
    Math.max(250, ttlMs / 3),
  );
  timer.unref();
  return {
    ok: true,
    lease: {
      release: () => {
        clearInterval(timer);
        try {
          if (readLease(file)?.holder === holder) unlinkSync(file);
        } catch {
          // Already gone.
        }
      },
    },
  };
}

function readLease(file: string): LeaseFile | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LeaseFile;
  } catch {
    return null;
  }
}

function modifiedAt(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}
