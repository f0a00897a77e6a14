import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunReader } from '../../src/tensorboard/index.ts';
import { cifarDir, repoRoot, sharedModelsDir } from '../helpers/shared.ts';
import { sessionEndFiles } from '../helpers/session-ends.ts';
import { TRAIN_SUBRUN, VALIDATION_SUBRUN } from '../../src/run/layout.ts';
import { runProcessGone } from '../../src/run/record.ts';
import { RunStore } from '../../src/report/store/run-store.ts';

async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

async function cliEnv(): Promise<NodeJS.ProcessEnv> {
  return {
    ...process.env,
    TRANSFERLAB_DATA_DIR: cifarDir(),
    TRANSFERLAB_MODELS_DIR: sharedModelsDir(),
    TRANSFERLAB_CACHE_DIR: await tempDir('tl-cli-cache-'),
  };
}

function experimentCli(args: string[], env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/experiment.ts', ...args], {
    cwd: repoRoot,
    env,
    encoding: 'utf8',
    timeout: 300_000,
  });
}

/** quickstart trained through the base (no feature cache), so an epoch has 75 short steps to interrupt. */
function spawnTinyRun(args: string[], env: NodeJS.ProcessEnv) {
  return spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/experiment.ts',
      'quickstart',
      '--progress',
      'lines',
      '--backend',
      'wasm',
      '--set',
      'data.trainPerClass=30',
      '--set',
      'data.validationSize=20',
      '--set',
      'data.testPerClass=2',
      '--set',
      'model.inputSize=32',
      '--set',
      'train.batchSize=4',
      '--set',
      'train.epochs=1',
      '--set',
      'train.featureCache=off',
      '--set',
      'model.freeze=none',
      '--set',
      'model.head.joinLayers=[]',
      '--set',
      'model.head.normalize=false',
      '--set',
      'train.logEveryBatches=1',
      ...args,
    ],
    { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

test('bad definitions, overrides and flags: one line on stderr, exit code 2, no run directory', async () => {
  const env = await cliEnv();
  const logdir = await tempDir('tl-cli-logs-');
  const cases: [string[], RegExp][] = [
    [
      ['quickstart', '--set', 'train.epochs=zero'],
      /^experiments\/quickstart\.yaml: --set train\.epochs: expected a number, got "zero"$/,
    ],
    [['quickstart', '--set', 'model.colour=red'], /^experiments\/quickstart\.yaml: --set model\.colour: unknown key$/],
    [
      ['quickstart', '--set', 'optimizer.name=adagrad'],
      /^experiments\/quickstart\.yaml with --set optimizer\.name=adagrad: optimizer\.name: /,
    ],
    [['no-such-experiment'], /no-such-experiment\.yaml: no such experiment definition \(known: .*quickstart/],
    [['quickstart', '--frobnicate'], /Unknown option '--frobnicate'/],
    [['quickstart', '--backend', 'tpu'], /^--backend tpu: expected auto, gpu, node, wasm, cpu$/],
    [['quickstart', '--seed', '4.5'], /^--seed 4\.5: expected an integer/],
    [['quickstart', '--workers', '0'], /^--workers 0: expected a positive integer$/],
    [['quickstart', '--name', 'a b'], /^--name "a b": use 1–64 letters/],
    [[], /^name an experiment/],
  ];
  for (const [args, pattern] of cases) {
    const result = experimentCli([...args, '--logdir', logdir], env);
    assert.equal(result.status, 2, `${args.join(' ')} → exit ${result.status}: ${result.stderr}`);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `one line for ${args.join(' ')}: ${result.stderr}`);
    assert.match(lines[0]!, pattern);
  }
  assert.deepEqual(readdirSync(logdir), [], 'nothing was created in the log directory');
});

test('--resume of a run.json edited to a wrong type: one line naming the file and field, exit 2', async () => {
  const env = await cliEnv();
  const logdir = await tempDir('tl-cli-edited-');
  const tiny = [
    '--set',
    'data.trainPerClass=2',
    '--set',
    'data.validationSize=10',
    '--set',
    'data.testPerClass=1',
    '--set',
    'train.epochs=1',
    '--set',
    'model.inputSize=32',
  ];
  const made = experimentCli(
    ['quickstart', '--backend', 'wasm', '--progress', 'none', '--logdir', logdir, '--name', 'x', ...tiny],
    env,
  );
  assert.equal(made.status, 0, made.stderr);
  const runDir = join(logdir, 'quickstart', readdirSync(join(logdir, 'quickstart'))[0]!);
  const file = join(runDir, 'run.json');
  const edited = { ...JSON.parse(readFileSync(file, 'utf8')), status: 'interrupted', globalStep: 'twelve' };
  writeFileSync(file, JSON.stringify(edited));
  const before = readFileSync(file, 'utf8');
  const result = experimentCli(['--resume', runDir, '--backend', 'wasm', '--logdir', logdir], env);
  assert.equal(result.status, 2, result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0]!, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: field globalStep: `));
  assert.equal(readFileSync(file, 'utf8'), before, 'run.json is left as it was');
});

test('--dry-run prints the resolved definition and parameter counts, creates nothing', async () => {
  const env = await cliEnv();
  const logdir = join(await tempDir('tl-cli-dry-'), 'logs');
  const result = experimentCli(
    // At 32 px the estimate's timed steps take seconds, not a minute; parameter counts do not change.
    ['densenet-unfreeze250', '--dry-run', '--logdir', logdir, '--set', 'train.epochs=3', '--set', 'model.inputSize=32'],
    env,
  );
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /epochs: 3/);
  assert.match(result.stdout, /freeze:\n\s+last: 250/);
  // Keras: DenseNet121 notop with layers[:-250] frozen (docs/keras-applications.md).
  assert.match(result.stdout, /base \(densenet121\)\s+7,037,504\s+5,129,792\s+1,907,712/);
  assert.match(result.stdout, /whole model\s+7,302,474\s+5,394,762\s+1,907,712/);
  assert.match(result.stdout, /multiply-adds per image: [\d,]+/);
  assert.match(result.stdout, /first trainable: conv4_block6_0_relu/);
  assert.match(
    result.stdout,
    /\ntotal: [\d.]+ [GTP]FLOPs of compute \(training, validation and test\) · about [\d.]+ (s|min|h) on /,
  );
  // The cache is a fresh folder: the Keras file is not in its models/ (nor is anything downloaded).
  assert.match(
    result.stdout,
    /\nweights missing: weights: .*densenet121_weights_tf_dim_ordering_tf_kernels_notop\.h5 not found; /,
  );
  assert.equal(existsSync(logdir), false);
});

test('--help lists the flags and the experiments', async () => {
  const result = experimentCli(['--help'], await cliEnv());
  assert.equal(result.status, 0);
  for (const flag of [
    '--set',
    '--seed',
    '--tag',
    '--name',
    '--logdir',
    '--data-dir',
    '--weights-dir',
    '--models-dir',
    '--backend',
    '--resume',
    '--dry-run',
  ]) {
    assert.ok(result.stdout.includes(flag), flag);
  }
  for (const variable of [
    'TRANSFERLAB_LOGDIR',
    'TRANSFERLAB_DATA_DIR',
    'TRANSFERLAB_WEIGHTS_DIR',
    'TRANSFERLAB_MODELS_DIR',
    'TRANSFERLAB_CACHE_DIR',
  ]) {
    assert.ok(result.stdout.includes(variable), variable);
  }
  assert.match(result.stdout, /densenet-full.*quickstart/s);
});

interface Exited {
  code: number | null;
  /** npm re-raises the signal it relayed on itself once its script has exited. */
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * `npm run experiment -- <tiny quickstart> <args>` as a terminal runs it: in a process group of its own
 * (npm, sh and node in it), so a signal to the group reaches every process as Ctrl-C does.
 */
function npmExperiment(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn('npm', ['run', '--silent', 'experiment', '--', ...tinyQuickstart(), ...args], {
    cwd: repoRoot,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const waiters: { pattern: RegExp; done: () => void }[] = [];
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const w of waiters.splice(0)) (w.pattern.test(stderr) ? w.done : () => waiters.push(w))();
  });
  child.stdout.resume();
  // 'close': npm has exited and the program (which shares its stderr) too.
  const exited = new Promise<Exited>((done) => child.on('close', (code, signal) => done({ code, signal, stderr })));
  return {
    group: -child.pid!,
    exited,
    /** Resolves once stderr matches (rejects if the process exits first). */
    saw: (pattern: RegExp) =>
      Promise.race([
        new Promise<void>((done) => (pattern.test(stderr) ? done() : waiters.push({ pattern, done }))),
        exited.then((e) => Promise.reject(new Error(`exited ${e.code} before ${pattern}: ${e.stderr}`))),
      ]),
  };
}

const STEPS_PER_EPOCH = 25; // 100 images / 4, through the whole (unfrozen) base
function tinyQuickstart(): string[] {
  const sets = [
    'data.trainPerClass=10',
    'data.validationSize=12',
    'data.testPerClass=1',
    'model.inputSize=32',
    'train.batchSize=4',
    'train.featureCache=off',
    'model.freeze=none',
    // quickstart's joined, normalised features belong to cached features of a frozen base.
    'model.head.joinLayers=[]',
    'model.head.normalize=false',
    'train.logEveryBatches=1',
  ];
  return ['quickstart', '--progress', 'lines', '--backend', 'wasm', ...sets.flatMap((x) => ['--set', x])];
}

const onlyRun = (logdir: string) => join(logdir, 'quickstart', readdirSync(join(logdir, 'quickstart'))[0]!);
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8'));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function readerOf(dir: string): Promise<RunReader> {
  const reader = new RunReader(dir);
  await reader.update();
  assert.deepEqual(reader.warnings, [], dir);
  return reader;
}

/** After the resume: every series once per step, no gap; the one session end is the success. */
async function assertFinished(runDir: string, epochs: number, STEPS = STEPS_PER_EPOCH): Promise<void> {
  assert.equal(readJson(join(runDir, 'run.json')).status, 'success');
  const train = await readerOf(join(runDir, TRAIN_SUBRUN));
  const steps = (r: RunReader, tag: string) => r.scalars(tag).map((p) => p.step);
  assert.deepEqual(steps(train, 'batch_loss'), range(1, epochs * STEPS));
  assert.deepEqual(steps(train, 'batch_accuracy'), range(1, epochs * STEPS));
  assert.deepEqual(steps(train, 'epoch_loss'), range(0, epochs - 1));
  const validation = await readerOf(join(runDir, VALIDATION_SUBRUN));
  assert.deepEqual(steps(validation, 'epoch_accuracy'), range(0, epochs - 1));
  assert.deepEqual(
    steps(validation, 'evaluation_loss_vs_iterations'),
    range(1, epochs).map((e) => e * STEPS),
  );
  const root = await readerOf(runDir);
  assert.equal(root.hparams().sessionEnd?.status, 'success');
  assert.equal(root.scalars('test/accuracy').length, 1);
  assert.equal(sessionEndFiles(runDir).length, 1, 'one session end in all the event files');
}

/** One signal to the whole group mid-epoch: checkpoint at the step it stopped at, interrupted, exit 130. */
async function signalThenResume(signal: 'SIGINT' | 'SIGTERM', workers = 1): Promise<void> {
  const env = await cliEnv();
  const logdir = await tempDir(`tl-cli-${signal}-`);
  const run = npmExperiment(['--logdir', logdir, '--set', 'train.epochs=1', '--workers', String(workers)], env);
  await run.saw(new RegExp(`batch 1/${STEPS_PER_EPOCH}`));
  process.kill(run.group, signal);
  const { code, signal: raised, stderr } = await run.exited;
  assert.ok(code === 130 || raised === signal, `exit ${code} ${raised}: ${stderr}`);
  assert.match(stderr, new RegExp(`${signal}: finishing the current step`));
  assert.match(
    stderr,
    /resume with {2}npm run experiment -- --resume quickstart\//,
    'the orderly stop, not the forced',
  );
  const [, stoppedAt] = /stopping at epoch 1, batch \d+\/\d+ \(step (\d+)\)/.exec(stderr) ?? [];
  const runDir = onlyRun(logdir);
  const record = readJson(join(runDir, 'run.json'));
  assert.equal(record.status, 'interrupted');
  assert.equal(record.workers, workers);
  if (workers > 1) assert.match(stderr, new RegExp(`workers: ${workers} data-parallel wasm workers`));
  const state = readJson(join(runDir, 'checkpoints', 'state.json'));
  assert.equal(state.globalStep, Number(stoppedAt), 'the checkpoint is at the step it stopped at');
  assert.ok(state.globalStep >= 1 && state.globalStep < STEPS_PER_EPOCH, `mid-epoch: step ${state.globalStep}`);
  assert.equal(record.globalStep, state.globalStep);
  const train = await readerOf(join(runDir, TRAIN_SUBRUN));
  assert.deepEqual(
    train.scalars('batch_loss').map((p) => p.step),
    range(1, state.globalStep),
  );
  assert.deepEqual(sessionEndFiles(runDir), [], 'an interrupted run writes no session end');

  const resumed = experimentCli(['--resume', record.id, '--logdir', logdir, '--progress', 'none'], env);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(
    resumed.stderr,
    new RegExp(`resuming at epoch 1, batch ${state.batchInEpoch} \\(step ${state.globalStep}\\)`),
  );
  await assertFinished(runDir, 1);
}

test('Ctrl-C (SIGINT to the process group of npm run experiment) mid-epoch: checkpoint there; --resume finishes', () =>
  signalThenResume('SIGINT'));

test('SIGTERM to the process group behaves as one Ctrl-C', () => signalThenResume('SIGTERM'));

test('Ctrl-C during a 2-worker run: workers stop between micro-batches, checkpoint, exit 130; resume finishes', () =>
  signalThenResume('SIGINT', 2));

test('SIGKILL to the process group after an epoch: stale in the site; --resume cuts back, no step twice', async () => {
  const env = await cliEnv();
  const logdir = await tempDir('tl-cli-kill-');
  // Batches of 2: an epoch of 50 steps lasts longer than the writers' 2 s flush interval.
  const STEPS = 50;
  const run = npmExperiment(['--logdir', logdir, '--set', 'train.epochs=2', '--set', 'train.batchSize=2'], env);
  await run.saw(new RegExp(`epoch 2/2 batch 1/${STEPS}`));
  const runDir = onlyRun(logdir);
  const trainDir = join(runDir, TRAIN_SUBRUN);
  const trainFile = join(trainDir, readdirSync(trainDir)[0]!);
  // Killed once points past the checkpoint (end of epoch 1) are on disk: the writer flushes every ≤ 2 s.
  const checkpointed = statSync(trainFile).size;
  while (statSync(trainFile).size === checkpointed) await new Promise((r) => setTimeout(r, 50));
  process.kill(run.group, 'SIGKILL');
  await run.exited;
  const record = readJson(join(runDir, 'run.json'));
  assert.equal(record.status, 'running', 'nobody was left to update run.json');
  // A killed process lingers as a zombie until it is reaped.
  for (let i = 0; i < 100 && !runProcessGone(record); i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(runProcessGone(record), true);
  const store = new RunStore(logdir);
  await store.refresh(true);
  assert.equal(store.summaries()[0]?.stale, true, 'the site shows the killed run as stale at once');
  const killed = await readerOf(trainDir);
  assert.ok(
    killed.scalars('batch_loss').some((p) => p.step > STEPS),
    'points past the checkpoint were written',
  );
  assert.equal(readJson(join(runDir, 'checkpoints', 'state.json')).globalStep, STEPS);

  const resumed = experimentCli(['--resume', record.id, '--logdir', logdir, '--progress', 'none'], env);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stderr, new RegExp(`resuming at epoch 2, batch 0 \\(step ${STEPS}\\)`));
  await assertFinished(runDir, 2, STEPS);
  assert.equal(readdirSync(trainDir).length, 2, 'the killed file (cut back) and the resumed one');
});

test('a second Ctrl-C exits at once: run.json interrupted, no session end; resume finishes', async () => {
  // Started without npm (no relayed duplicate), so two signals are two presses.
  const { npm_lifecycle_event: _npm, ...env } = await cliEnv();
  const logdir = await tempDir('tl-cli-force-');
  const child = spawnTinyRun(['--logdir', logdir], env);
  let stderr = '';
  let signals = 0;
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (signals === 0 && /batch 1\/75/.test(stderr)) {
      signals = 1;
      child.kill('SIGINT');
    } else if (signals === 1 && /SIGINT: finishing the current step/.test(stderr)) {
      signals = 2;
      child.kill('SIGINT');
    }
  });
  const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
  assert.equal(signals, 2, stderr);
  assert.equal(code, 130, stderr);
  assert.doesNotMatch(stderr, /resume with/, 'exited from the signal handler, not after the orderly stop');

  const runDir = onlyRun(logdir);
  const record = readJson(join(runDir, 'run.json'));
  assert.equal(record.status, 'interrupted');
  assert.deepEqual(sessionEndFiles(runDir), []);
  const root = await readerOf(runDir);
  assert.equal(root.hparams().sessionStart?.hparams.base, 'mobilenetv1');

  const resumed = experimentCli(['--resume', record.id, '--logdir', logdir, '--progress', 'none'], env);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.equal(sessionEndFiles(runDir).length, 1);
  assert.equal((await readerOf(runDir)).hparams().sessionEnd?.status, 'success');
  const train = await readerOf(join(runDir, TRAIN_SUBRUN));
  assert.deepEqual(
    train.scalars('batch_loss').map((p) => p.step),
    range(1, 75),
    'what the exit hook wrote past the checkpoint was cut back: each step once',
  );
});

test('npm run tensorboard without TensorBoard installed says how to install it, exit 1', async () => {
  const empty = await tempDir('tl-no-path-');
  mkdirSync(join(empty, 'bin'));
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/tensorboard.ts', '--logdir', empty], {
    cwd: repoRoot,
    env: { ...process.env, PATH: join(empty, 'bin') },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(result.status, 1, result.stderr);
  assert.match(result.stderr, /pip install tensorboard/);
});
