// The bullmq executor's queue on Redis: one job per trial (job id = trial id, so enqueueing twice
// adds nothing), retried with exponential backoff. The logdir stays the record of what has run.
import { Queue, type Job } from 'bullmq';
import { UsageError } from '../experiment/usage-error.ts';
import { Redis } from 'ioredis';
import type { Trial } from './expand.ts';
import type { TrialSpec } from './trial-process.ts';
import { findTrialRuns, trialState } from './trial-runs.ts';

/** A trial as a queued job carries it: enough for any worker with the same checkout to run it. */
export interface TrialJob extends TrialSpec {
  sweep: string;
  index: number;
  total: number;
}

/** Progress a worker reports for a running trial (from its run.json). */
export interface TrialProgress {
  runId: string;
  status: string;
  epoch: number;
  epochs: number | null;
  globalStep: number;
  worker: string;
}

class RedisUnreachableError extends Error {
  override name = 'RedisUnreachableError';
  readonly exitCode = 1;
}

// Short enough that the whole command, start-up included, gives up within 10 s on a busy machine.
const CONNECT_TIMEOUT_MS = 3000;

/** The URL as it may be printed: a password in it shows as ***. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

/**
 * Connects to Redis, failing fast: an unreachable URL is one error naming it within a few seconds,
 * instead of ioredis' endless reconnecting. The client then reconnects as usual (a Redis restart).
 */
export async function connectRedis(url: string): Promise<Redis> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--redis ${url}: expected a URL like redis://host:6379`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new UsageError(`--redis ${redactedUrl(url)}: expected a redis:// or rediss:// URL`);
  }
  const probe = new Redis(url, {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  probe.on('error', () => {});
  let timer: NodeJS.Timeout | undefined;
  // A server that accepts the connection but never answers would otherwise hang the ready check.
  const silence = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
  });
  try {
    await Promise.race([probe.connect().then(() => probe.ping()), silence]);
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0] || (error as { code?: string }).code || 'connection failed';
    throw new RedisUnreachableError(`cannot reach Redis at ${redactedUrl(url)}: ${reason}`);
  } finally {
    clearTimeout(timer);
    probe.disconnect();
  }
  // bullmq's workers need maxRetriesPerRequest: null (their blocking commands wait for a reconnect).
  const client = new Redis(url, { maxRetriesPerRequest: null, connectTimeout: CONNECT_TIMEOUT_MS });
  client.on('error', () => {});
  return client;
}

export function openQueue(name: string, connection: Redis): Queue<TrialJob> {
  return new Queue<TrialJob>(name, { connection });
}

export interface EnqueueOptions {
  sweep: string;
  logdir: string;
  attempts: number;
  backoffSeconds: number;
}

export interface EnqueueOutcome {
  added: string[];
  alreadyQueued: string[];
  skipped: string[];
}

/**
 * Queues every trial that has not succeeded in the logdir. A trial whose job already waits or runs
 * is left alone; one whose job finished (failed, or completed while its run is gone) is queued anew.
 */
export async function enqueueTrials(
  queue: Queue<TrialJob>,
  trials: Trial[],
  options: EnqueueOptions,
): Promise<EnqueueOutcome> {
  const outcome: EnqueueOutcome = { added: [], alreadyQueued: [], skipped: [] };
  const runsByExperiment = new Map<string, ReturnType<typeof findTrialRuns>>();
  for (const trial of trials) {
    let runs = runsByExperiment.get(trial.experimentName);
    if (!runs) {
      runs = findTrialRuns(options.logdir, trial.experimentName, options.sweep);
      runsByExperiment.set(trial.experimentName, runs);
    }
    if (trialState(runs.get(trial.id)).kind === 'done') {
      outcome.skipped.push(trial.id);
      continue;
    }
    const existing = await queue.getJob(trial.id);
    if (existing) {
      const state = await existing.getState();
      if (state !== 'completed' && state !== 'failed' && state !== 'unknown') {
        outcome.alreadyQueued.push(trial.id);
        continue;
      }
      await existing.remove();
    }
    const data: TrialJob = {
      sweep: options.sweep,
      index: trial.index,
      total: trials.length,
      id: trial.id,
      groupId: trial.groupId,
      experiment: trial.experiment,
      experimentName: trial.experimentName,
      seed: trial.seed,
      overrides: trial.overrides,
    };
    await queue.add('trial', data, {
      jobId: trial.id,
      attempts: options.attempts,
      backoff: { type: 'exponential', delay: options.backoffSeconds * 1000 },
      removeOnComplete: false,
      removeOnFail: false,
    });
    outcome.added.push(trial.id);
  }
  return outcome;
}

export interface QueueStatus {
  counts: Record<string, number>;
  jobs: {
    id: string;
    state: string;
    index: number;
    attemptsMade: number;
    progress: TrialProgress | null;
    failedReason: string | null;
  }[];
}

const STATES = ['active', 'waiting', 'delayed', 'prioritized', 'completed', 'failed'] as const;

export async function queueStatus(queue: Queue<TrialJob>): Promise<QueueStatus> {
  const counts = await queue.getJobCounts(...STATES);
  const jobs: QueueStatus['jobs'] = [];
  for (const state of STATES) {
    const list = (await queue.getJobs([state], 0, -1, true)) as Job<TrialJob>[];
    for (const job of list) {
      const progress =
        typeof job.progress === 'object' && job.progress !== null ? (job.progress as unknown as TrialProgress) : null;
      jobs.push({
        id: job.id ?? '?',
        state,
        index: job.data.index,
        attemptsMade: job.attemptsMade,
        progress,
        failedReason: job.failedReason || null,
      });
    }
  }
  jobs.sort((a, b) => a.index - b.index);
  return { counts, jobs };
}

export function formatStatus(name: string, status: QueueStatus): string {
  const c = status.counts;
  const lines = [
    `queue ${name}: ${c.active ?? 0} active · ${(c.waiting ?? 0) + (c.prioritized ?? 0)} waiting · ` +
      `${c.delayed ?? 0} delayed (retry backoff) · ${c.completed ?? 0} completed · ${c.failed ?? 0} failed`,
  ];
  for (const job of status.jobs) {
    const p = job.progress;
    const on = p && job.state === 'active' ? ` on ${p.worker}` : '';
    const where = p ? ` ${p.runId} epoch ${p.epoch}/${p.epochs ?? '?'} step ${p.globalStep}${on}` : '';
    const why = job.failedReason ? ` — ${job.failedReason}` : '';
    const index = String(job.index + 1).padStart(4);
    lines.push(`  ${index}  ${job.id}  ${job.state.padEnd(9)} attempts ${job.attemptsMade}${where}${why}`);
  }
  return `${lines.join('\n')}\n`;
}
