// One trial as a child process: the experiment CLI with the trial's flags, its own thread budget,
// and a preload that stops it (with a checkpoint) if its parent dies.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Trial } from './expand.ts';
import { groupTag, sweepTag, trialTag } from '../run/sweep-tags.ts';
import { trialRunName, type TrialState } from './trial-runs.ts';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const experimentCli = join(projectRoot, 'src', 'cli', 'experiment.ts');
const orphanGuard = join(projectRoot, 'src', 'sweep', 'stop-when-orphaned.ts');

/** What a trial needs from the job or the plan to run (a queued job carries exactly this). */
export type TrialSpec = Pick<Trial, 'id' | 'groupId' | 'experiment' | 'experimentName' | 'seed' | 'overrides'>;

export interface TrialLaunch {
  sweep: string;
  logdir: string;
  /** Threads the trial's backend may use (native TensorFlow's intra-op pool, OpenMP). */
  threads: number;
  /** The GPU this trial may see (CUDA_VISIBLE_DEVICES), when there are GPUs. */
  gpu?: number;
  backend?: string;
  env?: NodeJS.ProcessEnv;
}

/** The experiment CLI's arguments: a new run tagged with its sweep, trial and group, or `--resume` of its unfinished run. */
export function trialArguments(
  trial: TrialSpec,
  state: Exclude<TrialState, { kind: 'done' }>,
  launch: TrialLaunch,
): string[] {
  const common = [
    '--logdir',
    launch.logdir,
    '--progress',
    'lines',
    ...(launch.backend ? ['--backend', launch.backend] : []),
  ];
  if (state.kind === 'resume') return ['--resume', state.run.runDir, ...common];
  return [
    trial.experiment,
    ...trial.overrides.flatMap((o) => ['--set', o]),
    '--seed',
    String(trial.seed),
    '--tag',
    sweepTag(launch.sweep),
    '--tag',
    trialTag(trial.id),
    '--tag',
    groupTag(trial.groupId),
    '--name',
    trialRunName(launch.sweep, trial.id),
    ...common,
  ];
}

export function trialEnvironment(launch: TrialLaunch): NodeJS.ProcessEnv {
  const threads = String(Math.max(1, launch.threads));
  const env = launch.env ?? process.env;
  return {
    ...env,
    // run.json records the command as typed; under `npm run sweep` it is `npm run experiment -- …`, not the sweep's.
    ...(env.npm_lifecycle_event ? { npm_lifecycle_event: 'experiment' } : {}),
    TF_NUM_INTRAOP_THREADS: threads,
    TF_NUM_INTEROP_THREADS: '1',
    OMP_NUM_THREADS: threads,
    ...(launch.gpu !== undefined ? { CUDA_VISIBLE_DEVICES: String(launch.gpu) } : {}),
  };
}

export interface RunningTrial {
  child: ChildProcess;
  /** Resolves with the exit code (a signal's death counts as 128 + its number, as a shell reports it). */
  exited: Promise<number>;
  /** The last line the trial wrote to stderr (for failure messages). */
  lastLine: () => string;
}

/**
 * Starts the trial in a process group of its own, so a terminal's Ctrl-C or a pod's SIGTERM reaches
 * it once, forwarded by its parent, not twice (a second signal makes a run stop without finishing its step).
 */
export function startTrial(args: string[], launch: TrialLaunch, onLine: (line: string) => void): RunningTrial {
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', orphanGuard, experimentCli, ...args], {
    cwd: projectRoot,
    env: trialEnvironment(launch),
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    detached: true,
  });
  let last = '';
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      if (stream === child.stderr && line.trim()) last = line.trim();
      onLine(line);
    });
  }
  const exited = new Promise<number>((done) => {
    child.on('error', (error) => {
      last = error.message;
      done(1);
    });
    child.on('exit', (code, signal) => done(code ?? 128 + signalNumber(signal)));
  });
  return { child, exited, lastLine: () => last };
}

function signalNumber(signal: NodeJS.Signals | null): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = {
    SIGHUP: 1,
    SIGINT: 2,
    SIGKILL: 9,
    SIGSEGV: 11,
    SIGTERM: 15,
  };
  return (signal && numbers[signal]) ?? 1;
}
