/**
 * Ctrl-C / SIGTERM / SIGHUP handling for a run: the first signal asks the loop to stop (it abandons
 * the step in progress at its next micro-batch, checkpoints at the last finished step, closes the
 * event files and marks the run interrupted); a later one calls `onForce` (a last synchronous
 * run.json update) and exits at once with 130. Event records stay whole: the writers' exit hook
 * flushes what was queued.
 */
export interface StopSignal {
  readonly requested: boolean;
  readonly signal: NodeJS.Signals | null;
  /** Ask the loop to stop (tests, programmatic callers). */
  request(signal?: NodeJS.Signals): void;
  dispose(): void;
}

/** Kubernetes and systemd send SIGTERM; a closed terminal sends SIGHUP: each is a first Ctrl-C. */
const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Under `npm run`, one Ctrl-C reaches the program twice: the terminal signals the whole process
 * group, and npm relays the signal it got to its child (shared/docs/tensorboard-live.md). There, a
 * repeat this soon after the first is that same press; a press after it forces the exit. npm sets
 * `npm_lifecycle_event` for the scripts it runs; started any other way, every repeat forces.
 */
const SAME_PRESS_MS = 500;
const samePressMs = () => (process.env.npm_lifecycle_event === undefined ? 0 : SAME_PRESS_MS);

export function installStopSignal(
  opts: { onFirst?: (s: NodeJS.Signals) => void; onForce?: () => void; handleProcessSignals?: boolean } = {},
): StopSignal {
  let requested = false;
  let signal: NodeJS.Signals | null = null;
  let firstAt = -Infinity;
  const handler = (s: NodeJS.Signals): void => {
    if (requested && performance.now() - firstAt >= samePressMs()) {
      try {
        opts.onForce?.();
      } finally {
        process.exit(130);
      }
    }
    if (requested) return;
    requested = true;
    signal = s;
    firstAt = performance.now();
    opts.onFirst?.(s);
  };
  const install = opts.handleProcessSignals ?? true;
  if (install) for (const s of STOP_SIGNALS) process.on(s, handler);
  return {
    get requested() {
      return requested;
    },
    get signal() {
      return signal;
    },
    request(s: NodeJS.Signals = 'SIGINT') {
      if (!requested) {
        requested = true;
        signal = s;
        firstAt = performance.now();
      }
    },
    dispose() {
      if (install) for (const s of STOP_SIGNALS) process.off(s, handler);
    },
  };
}
