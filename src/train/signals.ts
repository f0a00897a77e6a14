/**
 * Ctrl-C / SIGTERM handling for a run: the first signal asks the loop to stop after the current step
 * (it then checkpoints, closes the event files and marks the run interrupted); a second one calls
 * `onForce` (a last synchronous run.json update) and exits at once with 130. Event records stay whole:
 * the writers' exit hook flushes what was queued.
 */
export interface StopSignal {
  readonly requested: boolean;
  readonly signal: NodeJS.Signals | null;
  /** Ask the loop to stop (tests, programmatic callers). */
  request(signal?: NodeJS.Signals): void;
  dispose(): void;
}

export function installStopSignal(
  opts: { onFirst?: (s: NodeJS.Signals) => void; onForce?: () => void; handleProcessSignals?: boolean } = {},
): StopSignal {
  let requested = false;
  let signal: NodeJS.Signals | null = null;
  const handler = (s: NodeJS.Signals): void => {
    if (requested) {
      try {
        opts.onForce?.();
      } finally {
        process.exit(130);
      }
    }
    requested = true;
    signal = s;
    opts.onFirst?.(s);
  };
  const install = opts.handleProcessSignals ?? true;
  if (install) {
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  }
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
      }
    },
    dispose() {
      if (install) {
        process.off('SIGINT', handler);
        process.off('SIGTERM', handler);
      }
    },
  };
}
