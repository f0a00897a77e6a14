import { z } from 'zod';

// A run whose process died (terminal closed: SIGHUP; kill -9; power loss) never rewrites its
// status. It is recognised by the process run.json names (pid on a host) no longer existing, or by
// its heartbeat (run.json `heartbeat`, an ISO time the runner rewrites every `heartbeatIntervalMs`)
// being older than a few intervals. Neither field is in run.json's schema yet; they are read from the
// raw text so the check works as soon as the runner writes them.

const processFields = z
  .object({
    pid: z.number().int().positive().optional(),
    host: z.string().optional(),
    hostname: z.string().optional(),
    heartbeat: z.string().optional(),
    heartbeatIntervalMs: z.number().positive().optional(),
  })
  .loose();

/** Which process wrote run.json and when it last said it was alive. */
export interface RunProcess {
  pid: number | null;
  host: string | null;
  heartbeatMs: number | null;
  heartbeatIntervalMs: number | null;
}

/** The process fields of a run.json text; missing or malformed ones are null. */
export function runProcessOf(text: string): RunProcess {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    raw = null;
  }
  const parsed = processFields.safeParse(raw);
  const p = parsed.success ? parsed.data : {};
  const beat = p.heartbeat ? Date.parse(p.heartbeat) : NaN;
  return {
    pid: p.pid ?? null,
    host: p.hostname ?? p.host ?? null,
    heartbeatMs: Number.isFinite(beat) ? beat : null,
    heartbeatIntervalMs: p.heartbeatIntervalMs ?? null,
  };
}

/** Heartbeats missed before a run is declared dead. */
const MISSED_BEATS = 4;
const DEFAULT_INTERVAL_MS = 10_000;

interface LivenessInput {
  process: RunProcess;
  nowMs: number;
  thisHost: string;
  /** Whether a pid exists on this host (signal 0); injected so the rule stays pure. */
  isAlive: (pid: number) => boolean;
}

/** Why a run that says it is running is dead, or null when nothing says so. */
export function deathReason({ process: p, nowMs, thisHost, isAlive }: LivenessInput): string | null {
  if (p.pid !== null && p.host !== null && p.host === thisHost && !isAlive(p.pid)) {
    return `process ${p.pid} on ${p.host} is gone`;
  }
  if (p.heartbeatMs !== null) {
    const interval = p.heartbeatIntervalMs ?? DEFAULT_INTERVAL_MS;
    if (nowMs - p.heartbeatMs > MISSED_BEATS * interval)
      return `no heartbeat since ${new Date(p.heartbeatMs).toISOString()}`;
  }
  return null;
}

/** Signal 0 probes a pid without touching it; EPERM means it exists under another user. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
