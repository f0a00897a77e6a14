// A bullmq worker: takes trial jobs from the queue and runs each as a child process against the
// shared logdir. A SIGTERM checkpoints the running trials and puts their jobs back in the queue,
// where any worker resumes them from the checkpoint.
import { hostname } from 'node:os';
import { DelayedError, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { loadDefinition } from '../experiment/load.ts';
import { UsageError } from '../experiment/usage-error.ts';
import type { TrialJob, TrialProgress } from './queue.ts';
import { startTrial, trialArguments, type RunningTrial, type TrialLaunch } from './trial-process.ts';
import { trialId } from './trial-id.ts';
import { acquireLease } from './trial-lease.ts';
import { findTrialRuns, trialState } from './trial-runs.ts';

export interface WorkerOptions {
  queue: string;
  connection: Redis;
  concurrency: number;
  logdir: string;
  /** Threads per trial. */
  threads: number;
  gpus: number;
  backend?: string;
  /**
   * How long a job stays claimed without its worker renewing the lock: a worker that died (SIGKILL,
   * a lost machine) gives its trials back after this long. Also the stalled-job check interval.
   */
  stalledSeconds: number;
  log: (line: string) => void;
}

export interface TrialWorker {
  /** Stops taking jobs; running trials checkpoint and go back to the queue. A second call stops them at once. */
  stop: () => Promise<void>;
  /** Resolves when the worker has closed. */
  closed: Promise<void>;
}

const PROGRESS_EVERY_MS = 2000;

export function startWorker(options: WorkerOptions): TrialWorker {
  const running = new Map<string, RunningTrial>();
  let stopping = false;
  const busyGpus = new Set<number>();
  const me = `${hostname()}:${process.pid}`;

  const processor = async (job: Job<TrialJob>, token?: string): Promise<{ runId: string; skipped: boolean }> => {
    const data = job.data;
    const label = `[${data.sweep} ${data.index + 1}/${data.total} ${data.id}]`;
    checkSameTrial(data);
    const taken = acquireLease(options.logdir, data.sweep, data.id, options.stalledSeconds * 1000);
    if (!taken.ok) {
      // Another worker is training it (its job was queued again after Redis lost it): look again later.
      options.log(`${label} is running on ${taken.heldBy}; retrying in ${Math.ceil(taken.expiresInMs / 1000)} s`);
      await job.moveToDelayed(Date.now() + taken.expiresInMs + 1000, token);
      throw new DelayedError();
    }
    try {
      return await runTrial(job, token);
    } finally {
      taken.lease.release();
    }
  };

  const runTrial = async (
    job: Job<TrialJob>,
    token: string | undefined,
  ): Promise<{ runId: string; skipped: boolean }> => {
    const data = job.data;
    const label = `[${data.sweep} ${data.index + 1}/${data.total} ${data.id}]`;
    const state = trialState(findTrialRuns(options.logdir, data.experimentName, data.sweep).get(data.id));
    if (state.kind === 'done') {
      options.log(`${label} already succeeded: ${state.run.runId}`);
      return { runId: state.run.runId, skipped: true };
    }
    if (stopping) {
      // Taken in the moment the worker was told to stop.
      await job.moveToWait(token);
      throw new WaitingError();
    }
    const gpu =
      options.gpus > 0 ? Array.from({ length: options.gpus }, (_, i) => i).find((i) => !busyGpus.has(i)) : undefined;
    if (gpu !== undefined) busyGpus.add(gpu);
    const launch: TrialLaunch = {
      sweep: data.sweep,
      logdir: options.logdir,
      threads: options.threads,
      ...(gpu !== undefined ? { gpu } : {}),
      ...(options.backend ? { backend: options.backend } : {}),
    };
    options.log(
      `${label} ${state.kind === 'resume' ? `resuming ${state.run.runId}` : 'starting'} (attempt ${job.attemptsMade + 1})`,
    );
    const trial = startTrial(trialArguments(data, state, launch), launch, (line) => options.log(`${label} ${line}`));
    running.set(data.id, trial);
    const report = setInterval(() => void reportProgress(job, options.logdir, me).catch(() => {}), PROGRESS_EVERY_MS);
    let code: number;
    try {
      code = await trial.exited;
    } finally {
      clearInterval(report);
      running.delete(data.id);
      if (gpu !== undefined) busyGpus.delete(gpu);
    }
    await reportProgress(job, options.logdir, me).catch(() => {});
    if (code === 0) {
      const done = trialState(findTrialRuns(options.logdir, data.experimentName, data.sweep).get(data.id));
      options.log(`${label} succeeded`);
      return { runId: done.kind === 'done' ? done.run.runId : '?', skipped: false };
    }
    if (stopping && code !== 2) {
      // Stopped by our SIGTERM (exit 130; 143 if it came before the trial set its handlers): back to
      // the queue without spending an attempt; the checkpoint is in the shared logdir.
      options.log(`${label} checkpointed; back to the queue`);
      await job.moveToWait(token);
      throw new WaitingError();
    }
    if (code === 2) throw new UnrecoverableError(`bad definition or flags: ${trial.lastLine()}`);
    throw new Error(`exit ${code}: ${trial.lastLine()}`);
  };

  const worker = new Worker<TrialJob>(options.queue, processor, {
    connection: options.connection,
    concurrency: options.concurrency,
    lockDuration: options.stalledSeconds * 1000,
    stalledInterval: options.stalledSeconds * 1000,
    // A trial whose worker died twice (each time resumed from its checkpoint) still gets a third try.
    maxStalledCount: 2,
  });
  worker.on('failed', (job, error) => {
    if (job)
      options.log(
        `[${job.data.sweep} ${job.data.index + 1}/${job.data.total} ${job.data.id}] failed (attempt ${job.attemptsMade}): ${error.message}`,
      );
  });
  worker.on('error', (error) => options.log(`worker: ${error.message.split('\n')[0]}`));

  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  let closing: Promise<void> | null = null;
  const stop = async (): Promise<void> => {
    if (stopping) {
      // Second request: the trials stop at once (run.json says interrupted; they resume from the last checkpoint).
      for (const t of running.values()) t.child.kill('SIGTERM');
      return closing ?? undefined;
    }
    stopping = true;
    for (const t of running.values()) t.child.kill('SIGTERM');
    closing = worker.close().then(resolveClosed);
    return closing;
  };
  return { stop, closed };
}

/**
 * The job's trial resolves to the same definition here as where it was queued; a worker with other
 * experiment files or code would otherwise train something else under the trial's id.
 */
function checkSameTrial(data: TrialJob): void {
  let here: string;
  try {
    const loaded = loadDefinition(data.experiment, { overrides: data.overrides });
    here = trialId(loaded.experiment, { ...loaded.definition, seed: data.seed });
  } catch (error) {
    if (error instanceof UsageError) throw new UnrecoverableError(`on this worker: ${error.message}`);
    throw error;
  }
  if (here !== data.id) {
    throw new UnrecoverableError(
      `trial ${data.id} resolves to ${here} on this worker: its experiments/ or code differ from where the sweep was queued`,
    );
  }
}

async function reportProgress(job: Job<TrialJob>, logdir: string, worker: string): Promise<void> {
  const runs = findTrialRuns(logdir, job.data.experimentName, job.data.sweep).get(job.data.id);
  const state = trialState(runs);
  if (state.kind === 'new') return;
  const progress: TrialProgress = {
    runId: state.run.runId,
    status: state.run.status,
    epoch: state.run.epochs.completed,
    epochs: state.run.epochs.planned,
    globalStep: state.run.globalStep,
    worker,
  };
  await job.updateProgress(progress as unknown as Record<string, unknown>);
}
