import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunReader } from '../../src/tensorboard/index.ts';
import { cifarDir, repoRoot, sharedModelsDir } from '../helpers/shared.ts';

export const tempDir = (prefix: string): Promise<string> => mkdtemp(join(tmpdir(), prefix));

export async function sweepEnv(): Promise<NodeJS.ProcessEnv> {
  return {
    ...process.env,
    TRANSFERLAB_DATA_DIR: cifarDir(),
    TRANSFERLAB_MODELS_DIR: sharedModelsDir(),
    TRANSFERLAB_CACHE_DIR: await tempDir('tl-sweep-cache-'),
  };
}

/**
 * quickstart trained through its whole base (its plain pooled head) at 32 px on 120 images, batch 4:
 * one epoch of 30 short steps, checkpointed at the step a SIGTERM lands on.
 */
export const STEPPED_TRIAL = `
  data.trainPerClass: 12
  data.validationSize: 20
  data.testPerClass: 2
  model.inputSize: 32
  model.head.joinLayers: []
  model.head.normalize: false
  model.freeze: none
  train.featureCache: "off"
  train.batchSize: 4
  train.epochs: 1
  train.logEveryBatches: 1`;

/** quickstart on cached features of 50 images at 32 px: a trial is mostly process start-up. */
export const CACHED_TRIAL = `
  data.trainPerClass: 5
  data.validationSize: 20
  data.testPerClass: 2
  model.inputSize: 32
  train.batchSize: 10
  train.epochs: 2
  train.logEveryBatches: 1`;

export function writeSweep(dir: string, name: string, yaml: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  return file;
}

export function sweepCli(args: string[], env: NodeJS.ProcessEnv, timeout = 240_000) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/sweep.ts', ...args], {
    cwd: repoRoot,
    env,
    encoding: 'utf8',
    timeout,
  });
}

export interface Spawned {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  /** Resolves when the output matches. */
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<void>;
}

/** A CLI in a process group of its own (as on a machine of its own), output collected. */
export function spawnCli(script: string, args: string[], env: NodeJS.ProcessEnv): Spawned {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const waiters: { pattern: RegExp; done: () => void }[] = [];
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const w of [...waiters]) {
      if (w.pattern.test(output)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.done();
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const waitFor = (pattern: RegExp, timeoutMs = 120_000) =>
    new Promise<void>((done, fail) => {
      if (pattern.test(output)) return done();
      const timer = setTimeout(() => fail(new Error(`no ${pattern} within ${timeoutMs} ms:\n${output}`)), timeoutMs);
      waiters.push({ pattern, done: () => (clearTimeout(timer), done()) });
    });
  return { child, output: () => output, exited, waitFor };
}

interface RecordLike {
  id: string;
  status: string;
  tags: string[];
  globalStep: number;
  epochs: { planned: number; completed: number };
  resumedFrom: { epoch: number; globalStep: number } | null;
}

/** `npm run worker` on `queue`: one trial at a time on one wasm thread; `extra` flags appended. */
export function spawnWorker(
  redisUrl: string,
  queue: string,
  logdir: string,
  env: NodeJS.ProcessEnv,
  extra: string[] = [],
): Spawned {
  const flags = ['--redis', redisUrl, '--queue', queue, '--logdir', logdir, '--concurrency', '1', '--threads', '1'];
  return spawnCli('src/cli/worker.ts', [...flags, '--backend', 'wasm', ...extra], env);
}

/** Every run in <logdir>/<experiment>/, with its record. */
export function runsIn(logdir: string, experiment = 'quickstart'): { dir: string; record: RecordLike }[] {
  const root = join(logdir, experiment);
  return readdirSync(root).map((f) => ({
    dir: join(root, f),
    record: JSON.parse(readFileSync(join(root, f, 'run.json'), 'utf8')) as RecordLike,
  }));
}

/**
 * Each trial has exactly one run, it succeeded, and its event files hold every optimizer step once
 * (batch_loss at steps 1..N) and every epoch once.
 */
export async function assertEachTrialOnce(
  logdir: string,
  trialIds: string[],
): Promise<{ dir: string; record: RecordLike }[]> {
  const runs = runsIn(logdir);
  assert.equal(runs.length, trialIds.length, `one run per trial: ${runs.map((r) => r.record.id).join(', ')}`);
  for (const id of trialIds) {
    const mine = runs.filter((r) => r.record.tags.includes(`trial:${id}`));
    assert.equal(mine.length, 1, `trial ${id} has one run`);
    const { dir, record } = mine[0]!;
    assert.equal(record.status, 'success', `${record.id}`);
    const train = new RunReader(join(dir, 'train'));
    await train.update();
    assert.deepEqual(train.warnings, []);
    const steps = train.scalars('batch_loss').map((p) => p.step);
    assert.deepEqual(
      steps,
      Array.from({ length: record.globalStep }, (_, i) => i + 1),
      `${record.id}: every step once`,
    );
    assert.deepEqual(
      train.scalars('epoch_loss').map((p) => p.step),
      Array.from({ length: record.epochs.planned }, (_, i) => i),
    );
  }
  return runs;
}
