// The local executor: trials as child processes on this machine, N at once, each with a share of
// the cores (or one GPU each), skipping what already succeeded and resuming what was interrupted.
import type { Trial } from './expand.ts';
import { startTrial, trialArguments, type RunningTrial, type TrialLaunch } from './trial-process.ts';
import { acquireLease } from './trial-lease.ts';
import { findTrialRuns, trialState } from './trial-runs.ts';

export interface LocalOptions {
  sweep: string;
  logdir: string;
  parallel: number;
  /** Trials in the whole plan (labels read "[i/total id]"; one pod of an Indexed Job runs one of them). */
  total: number;
  /** Threads per trial (default: the cores shared out among the parallel trials). */
  threads: number;
  /** GPUs on this machine: trial slot i sees GPU i. */
  gpus: number;
  backend?: string;
  log: (line: string) => void;
  /** A stop request (Ctrl-C / SIGTERM on the sweep): running trials checkpoint, no new ones start. */
  stopRequested: () => boolean;
  onStart?: (trial: Trial, running: RunningTrial) => void;
}

export interface LocalOutcome {
  skipped: string[];
  succeeded: string[];
  failed: { id: string; code: number; message: string }[];
  interrupted: string[];
  /** Being trained by another sweep process or worker on the same logdir. */
  elsewhere: string[];
}

/** How long a local trial's lease outlives this process (it is renewed every third of it). */
const LEASE_MS = 30_000;

export async function runLocal(trials: Trial[], options: LocalOptions): Promise<LocalOutcome> {
  const outcome: LocalOutcome = { skipped: [], succeeded: [], failed: [], interrupted: [], elsewhere: [] };
  const queue = [...trials];
  const slot = async (index: number): Promise<void> => {
    for (;;) {
      if (options.stopRequested()) return;
      const trial = queue.shift();
      if (!trial) return;
      const label = `[${trial.index + 1}/${options.total} ${trial.id}]`;
      const taken = acquireLease(options.logdir, options.sweep, trial.id, LEASE_MS);
      if (!taken.ok) {
        outcome.elsewhere.push(trial.id);
        options.log(`${label} is running on ${taken.heldBy}: left to it`);
        continue;
      }
      try {
        await runOne(trial, index, label);
      } finally {
        taken.lease.release();
      }
    }
  };
  const runOne = async (trial: Trial, index: number, label: string): Promise<void> => {
    // Asked right before starting: another sweep on this logdir may have run it meanwhile.
    const state = trialState(findTrialRuns(options.logdir, trial.experimentName, options.sweep).get(trial.id));
    if (state.kind === 'done') {
      outcome.skipped.push(trial.id);
      options.log(`${label} already succeeded: ${state.run.runId}`);
      return;
    }
    const launch: TrialLaunch = {
      sweep: options.sweep,
      logdir: options.logdir,
      threads: options.threads,
      ...(options.gpus > 0 ? { gpu: index % options.gpus } : {}),
      ...(options.backend ? { backend: options.backend } : {}),
    };
    options.log(`${label} ${state.kind === 'resume' ? `resuming ${state.run.runId}` : 'starting'}`);
    const running = startTrial(trialArguments(trial, state, launch), launch, (line) => options.log(`${label} ${line}`));
    options.onStart?.(trial, running);
    const code = await running.exited;
    if (code === 0) outcome.succeeded.push(trial.id);
    else if (code === 130) outcome.interrupted.push(trial.id);
    else outcome.failed.push({ id: trial.id, code, message: running.lastLine() });
    options.log(
      `${label} ${code === 0 ? 'succeeded' : code === 130 ? 'interrupted' : `failed (exit ${code}): ${running.lastLine()}`}`,
    );
  };
  await Promise.all(Array.from({ length: Math.max(1, options.parallel) }, (_, i) => slot(i)));
  return outcome;
}
