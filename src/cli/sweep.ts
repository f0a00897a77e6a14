// `npm run sweep <name> -- [flags]`: expands a sweep definition into trials and runs them — here as
// child processes, or through a bullmq queue on Redis that workers on any machines consume.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { CONFIRM_ABOVE_TRIALS, expandSweep, type Trial } from '../sweep/expand.ts';
import { k8sManifest } from '../sweep/k8s-job.ts';
import { listSweeps, loadSweep, type LoadedSweep } from '../sweep/load-sweep.ts';
import { runLocal } from '../sweep/local-executor.ts';
import { formatPlan } from '../sweep/plan.ts';
import {
  connectRedis,
  enqueueTrials,
  formatStatus,
  openQueue,
  queueStatus,
  redactedUrl,
  type TrialJob,
} from '../sweep/queue.ts';
import { findTrialRuns, trialState, type TrialState } from '../sweep/trial-runs.ts';
import type { RunningTrial } from '../sweep/trial-process.ts';
import { resolveLogdir } from '../experiment/locations.ts';
import { UsageError } from '../experiment/usage-error.ts';
import { isEntryPoint, parseFlags, runCli } from './args.ts';

const OPTIONS = {
  'dry-run': { type: 'boolean' },
  executor: { type: 'string' },
  parallel: { type: 'string' },
  threads: { type: 'string' },
  gpus: { type: 'string' },
  backend: { type: 'string' },
  logdir: { type: 'string' },
  redis: { type: 'string' },
  queue: { type: 'string' },
  attempts: { type: 'string' },
  'backoff-seconds': { type: 'string' },
  detach: { type: 'boolean' },
  status: { type: 'boolean' },
  emit: { type: 'string' },
  out: { type: 'string' },
  image: { type: 'string' },
  pvc: { type: 'string' },
  memory: { type: 'string' },
  'trial-index': { type: 'string' },
  yes: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function usage(): string {
  return `Usage: npm run sweep <name> -- [flags]
       npm run sweep -- --status --redis URL --queue NAME

Expands experiments/sweeps/<name>.yaml (or a path) into trials — grid × random draws × seeds — and
runs those that have not succeeded in the log directory; interrupted and failed ones resume from
their checkpoints.

Sweeps: ${listSweeps().join(', ') || '(none found)'}

Flags:
  --dry-run            print the plan (trials, groups, what the logdir has, estimated compute) and exit
  --executor E         local | bullmq (default: bullmq with --redis, else local)
  --parallel N         local: trials at once (default: one per GPU, else 1; at most the sweep's maxParallel)
  --threads N          threads per trial (default: the cores shared out among the parallel trials)
  --gpus N             GPUs to share out, one per trial slot (default: what nvidia-smi lists)
  --backend B          the trials' TensorFlow.js backend (auto | gpu | node | wasm | cpu)
  --logdir DIR         log directory (default: TRANSFERLAB_LOGDIR, else logs/); shared by all workers
  --redis URL          bullmq: the Redis server, e.g. redis://host:6379
  --queue NAME         bullmq: queue name (default: the sweep's name)
  --attempts N         bullmq: tries per trial before it counts as failed (default 3)
  --backoff-seconds S  bullmq: first retry delay, doubling each time (default 30)
  --detach             bullmq: queue the trials and exit instead of following them
  --status             bullmq: show the queue (active, waiting, delayed, completed, failed jobs) and exit
  --emit k8s           write a Kubernetes Indexed Job (one trial per completion index) and exit;
                       with --image IMG (default transfer-lab:latest), --pvc CLAIM (default
                       transfer-lab-logs), --memory M (default 8Gi), --out FILE (default stdout)
  --trial-index I      run trial I of the plan only (what each pod of the Indexed Job does)
  --yes                allow more than ${CONFIRM_ABOVE_TRIALS.toLocaleString('en-US')} trials
  -h, --help           this help

Exit codes: 0 every trial succeeded · 1 a trial failed or is being run by another process, or Redis
is unreachable · 2 bad sweep file or flags (nothing is run or queued) · 130 interrupted (Ctrl-C /
SIGTERM: running trials checkpoint; run the sweep again to resume them).`;
}

type Values = ReturnType<typeof parseFlags<typeof OPTIONS>>['values'];

async function main(): Promise<number> {
  const { values, positionals } = parseFlags(process.argv.slice(2), OPTIONS);
  if (values.help) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`expected one sweep name, got ${positionals.join(' ')}`);
  const logdir = resolveLogdir(values.logdir);
  if (values.status) {
    if (!values.redis) throw new UsageError('--status shows a bullmq queue: give --redis URL');
    const name = values.queue ?? (positionals[0] ? loadSweep(positionals[0]).name : null);
    if (!name) throw new UsageError('--status: name the sweep or give --queue NAME');
    return showStatus(values.redis, name);
  }
  const name = positionals[0];
  if (!name)
    throw new UsageError(`name a sweep (${listSweeps().join(', ') || 'none in experiments/sweeps/'}), or see --help`);
  const executor = values.executor ?? (values.redis ? 'bullmq' : 'local');
  if (executor !== 'local' && executor !== 'bullmq')
    throw new UsageError(`--executor ${executor}: expected local or bullmq`);
  if (executor === 'bullmq' && !values.redis) throw new UsageError('--executor bullmq: give --redis URL');
  if (values.emit !== undefined && values.emit !== 'k8s') throw new UsageError(`--emit ${values.emit}: expected k8s`);
  const numbers = parseNumbers(values);

  const loaded = loadSweep(name);
  const trials = expandSweep(loaded, { yes: values.yes ?? false });

  if (values.emit === 'k8s') return emitK8s(loaded, name, trials, values, numbers);
  if (values['dry-run']) return printPlan(loaded, trials, logdir);
  if (numbers.trialIndex !== undefined)
    return runOneTrial(loaded, trials, numbers.trialIndex, logdir, values, numbers.threads);
  if (executor === 'bullmq') {
    return runThroughQueue(loaded, trials, {
      url: values.redis!,
      queue: values.queue ?? loaded.name,
      logdir,
      detach: values.detach ?? false,
      ...numbers,
    });
  }
  const gpus = numbers.gpus ?? countGpus();
  const parallel = Math.min(numbers.parallel ?? Math.max(1, gpus), loaded.sweep.maxParallel ?? Infinity, trials.length);
  const threads = numbers.threads ?? Math.max(1, Math.floor(cpus().length / parallel));
  return runHere(loaded, trials, {
    logdir,
    parallel,
    threads,
    gpus,
    total: trials.length,
    ...(values.backend ? { backend: values.backend } : {}),
  });
}

type Numbers = ReturnType<typeof parseNumbers>;

function parseNumbers(values: Values) {
  return {
    parallel: positiveInt(values.parallel, '--parallel'),
    threads: positiveInt(values.threads, '--threads'),
    gpus: nonNegativeInt(values.gpus, '--gpus'),
    attempts: positiveInt(values.attempts, '--attempts') ?? 3,
    backoffSeconds: nonNegativeInt(values['backoff-seconds'], '--backoff-seconds') ?? 30,
    trialIndex: nonNegativeInt(values['trial-index'], '--trial-index'),
  };
}

function emitK8s(loaded: LoadedSweep, name: string, trials: Trial[], values: Values, numbers: Numbers): number {
  const manifest = k8sManifest(trials, {
    sweep: loaded.name,
    sweepArgument: name,
    image: values.image ?? 'transfer-lab:latest',
    claim: values.pvc ?? 'transfer-lab-logs',
    parallelism: numbers.parallel ?? loaded.sweep.maxParallel ?? trials.length,
    cpu: numbers.threads ?? 2,
    memory: values.memory ?? '8Gi',
    retriesPerTrial: numbers.attempts - 1,
  });
  if (values.out) writeFileSync(values.out, manifest);
  else process.stdout.write(manifest);
  return 0;
}

async function printPlan(loaded: LoadedSweep, trials: Trial[], logdir: string): Promise<number> {
  const { estimateTrials } = await import('../sweep/estimate.ts');
  const estimates = await estimateTrials(
    trials,
    process.env.TRANSFERLAB_MODELS_DIR ? { modelsDir: process.env.TRANSFERLAB_MODELS_DIR } : {},
  );
  process.stdout.write(formatPlan(loaded, trials, statesOf(trials, logdir, loaded.name), estimates));
  return 0;
}

function statesOf(trials: Trial[], logdir: string, sweep: string): Map<string, TrialState> {
  const byExperiment = new Map<string, ReturnType<typeof findTrialRuns>>();
  const states = new Map<string, TrialState>();
  for (const t of trials) {
    if (!byExperiment.has(t.experimentName))
      byExperiment.set(t.experimentName, findTrialRuns(logdir, t.experimentName, sweep));
    states.set(t.id, trialState(byExperiment.get(t.experimentName)!.get(t.id)));
  }
  return states;
}

async function runHere(
  loaded: LoadedSweep,
  trials: Trial[],
  how: { logdir: string; parallel: number; threads: number; gpus: number; total: number; backend?: string },
): Promise<number> {
  const running = new Set<RunningTrial>();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    const what =
      signals === 1
        ? 'stopping the running trials at their next step (checkpointed); again to stop them at once'
        : 'stopping the trials at once';
    process.stderr.write(`\n${signal}: ${what}\n`);
    // The trials run in process groups of their own: each gets exactly the signals forwarded here.
    for (const t of running) t.child.kill('SIGTERM');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const trialCount = `${trials.length} trial${trials.length === 1 ? '' : 's'}`;
  const threadCount = `${how.threads} thread${how.threads === 1 ? '' : 's'}`;
  process.stderr.write(
    `sweep ${loaded.name}: ${trialCount}, ${how.parallel} at once, ${threadCount} each` +
      `${how.gpus ? `, ${how.gpus} GPUs` : ''} → ${how.logdir}\n`,
  );
  const outcome = await runLocal(trials, {
    sweep: loaded.name,
    logdir: how.logdir,
    parallel: how.parallel,
    threads: how.threads,
    gpus: how.gpus,
    total: how.total,
    ...(how.backend ? { backend: how.backend } : {}),
    log: (line) => process.stderr.write(`${line}\n`),
    stopRequested: () => signals > 0,
    onStart: (_trial, r) => {
      running.add(r);
      void r.exited.then(() => running.delete(r));
    },
  });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  const notRun =
    trials.length -
    outcome.skipped.length -
    outcome.succeeded.length -
    outcome.failed.length -
    outcome.interrupted.length -
    outcome.elsewhere.length;
  process.stderr.write(
    `sweep ${loaded.name}: ${outcome.succeeded.length} succeeded, ${outcome.skipped.length} had succeeded before, ` +
      `${outcome.failed.length} failed, ${outcome.interrupted.length + notRun} not finished` +
      `${outcome.elsewhere.length ? `, ${outcome.elsewhere.length} running elsewhere` : ''}\n`,
  );
  if (signals > 0) return 130;
  return outcome.failed.length > 0 || outcome.elsewhere.length > 0 ? 1 : 0;
}

/** One trial of the plan (a pod of the Indexed Job): skipped when done, resumed when interrupted. */
async function runOneTrial(
  loaded: LoadedSweep,
  trials: Trial[],
  index: number,
  logdir: string,
  values: Values,
  threads?: number,
): Promise<number> {
  const trial = trials[index];
  if (!trial)
    throw new UsageError(`--trial-index ${index}: the sweep has ${trials.length} trials (0–${trials.length - 1})`);
  const expected = process.env.TRANSFERLAB_SWEEP_TRIAL_IDS?.split(',');
  if (expected && expected[index] !== trial.id) {
    throw new UsageError(
      `${loaded.where}: trial ${index} is ${trial.id} here but ${expected[index] ?? 'absent'} in the manifest: ` +
        "the image's sweep or experiments differ from those it was emitted from",
    );
  }
  return runHere(loaded, [trial], {
    logdir,
    parallel: 1,
    threads: threads ?? cpus().length,
    gpus: 0,
    total: trials.length,
    ...(values.backend ? { backend: values.backend } : {}),
  });
}

async function runThroughQueue(
  loaded: LoadedSweep,
  trials: Trial[],
  how: { url: string; queue: string; logdir: string; detach: boolean; attempts: number; backoffSeconds: number },
): Promise<number> {
  const connection = await connectRedis(how.url);
  const queue = openQueue(how.queue, connection);
  const shown = redactedUrl(how.url);
  try {
    const added = await enqueueTrials(queue, trials, {
      sweep: loaded.name,
      logdir: how.logdir,
      attempts: how.attempts,
      backoffSeconds: how.backoffSeconds,
    });
    process.stderr.write(
      `sweep ${loaded.name} → queue ${how.queue} on ${shown}: ${added.added.length} queued, ` +
        `${added.alreadyQueued.length} already queued, ${added.skipped.length} had succeeded\n` +
        `start workers with:  npm run worker -- --redis ${shown} --queue ${how.queue} --logdir <the shared logdir>\n`,
    );
    if (how.detach) return 0;
    return await follow(
      queue,
      trials.map((t) => t.id).filter((id) => !added.skipped.includes(id)),
      added.skipped.length,
    );
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

/**
 * Waits until every trial's job is completed or failed, printing each change of state. The summary
 * counts the whole sweep: trials that had succeeded before this call count as succeeded.
 */
async function follow(queue: ReturnType<typeof openQueue>, ids: string[], earlier: number): Promise<number> {
  const last = new Map<string, string>();
  for (;;) {
    let finished = 0;
    let failed = 0;
    for (const id of ids) {
      const job = await queue.getJob(id);
      const state = job ? await job.getState() : 'unknown';
      if (last.get(id) !== state) {
        last.set(id, state);
        const why = state === 'failed' && job?.failedReason ? `: ${job.failedReason}` : '';
        const data = job?.data as TrialJob | undefined;
        process.stderr.write(`[${data ? `${data.index + 1}/${data.total}` : '?'} ${id}] ${state}${why}\n`);
      }
      if (state === 'completed' || state === 'failed' || state === 'unknown') finished++;
      if (state === 'failed' || state === 'unknown') failed++;
    }
    if (finished === ids.length) {
      const before = earlier > 0 ? ` (${earlier} before this run)` : '';
      process.stderr.write(`${ids.length - failed + earlier} of ${ids.length + earlier} trials succeeded${before}\n`);
      return failed > 0 ? 1 : 0;
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
}

async function showStatus(url: string, name: string): Promise<number> {
  const connection = await connectRedis(url);
  const queue = openQueue(name, connection);
  try {
    process.stdout.write(formatStatus(name, await queueStatus(queue)));
    return 0;
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

/** GPUs nvidia-smi lists; 0 without it. */
function countGpus(): number {
  const r = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0 || !r.stdout) return 0;
  return r.stdout.split('\n').filter((l) => l.startsWith('GPU ')).length;
}

function positiveInt(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} ${text}: expected a whole number of at least 1`);
  return n;
}

function nonNegativeInt(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} ${text}: expected a whole number of at least 0`);
  return n;
}

if (isEntryPoint(import.meta.url)) runCli(main);
