import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunReader } from '../../src/tensorboard/index.ts';
import { cifarDir, repoRoot, sharedModelsDir } from '../helpers/shared.ts';
import { sessionEndFiles } from '../helpers/session-ends.ts';
import { TRAIN_SUBRUN } from '../../src/run/layout.ts';

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
    timeout: 120_000,
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
    ['densenet-unfreeze250', '--dry-run', '--logdir', logdir, '--set', 'train.epochs=3'],
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

test('SIGINT mid-epoch: checkpoint at the batch, run marked interrupted, exit 130; --resume finishes it', async () => {
  // The locations come as flags here (the variables are unset), as variables in the next test.
  const { TRANSFERLAB_DATA_DIR: _data, TRANSFERLAB_MODELS_DIR: _models, ...env } = await cliEnv();
  const where = ['--data-dir', cifarDir(), '--models-dir', sharedModelsDir()];
  const logdir = await tempDir('tl-cli-sigint-');
  const child = spawnTinyRun([...where, '--logdir', logdir], env);
  let stderr = '';
  let signalled = false;
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (!signalled && /batch 1\/75/.test(stderr)) {
      signalled = true;
      child.kill('SIGINT');
    }
  });
  const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
  assert.ok(signalled, `never saw the first batch line: ${stderr}`);
  assert.equal(code, 130, stderr);
  assert.match(stderr, /SIGINT: finishing the current step/);
  assert.match(stderr, /resume with {2}npm run experiment -- --resume quickstart\//);

  const [runName] = readdirSync(join(logdir, 'quickstart'));
  const runDir = join(logdir, 'quickstart', runName!);
  const record = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
  assert.equal(record.status, 'interrupted');
  assert.ok(record.endTime);
  const state = JSON.parse(readFileSync(join(runDir, 'checkpoints', 'state.json'), 'utf8'));
  assert.equal(state.epoch, 0);
  assert.ok(state.batchInEpoch >= 1 && state.batchInEpoch < 75, `stopped mid-epoch at batch ${state.batchInEpoch}`);
  assert.equal(state.globalStep, record.globalStep);

  const train = new RunReader(join(runDir, TRAIN_SUBRUN));
  await train.update();
  assert.deepEqual(train.warnings, []);
  const logged = train.scalars('batch_loss').map((p) => p.step);
  assert.deepEqual(
    logged,
    Array.from({ length: state.globalStep }, (_, i) => i + 1),
    'every step up to the checkpoint, none after',
  );
  const root = new RunReader(runDir);
  await root.update();
  assert.deepEqual(root.warnings, []);
  assert.equal(root.hparams().sessionEnd?.status, 'failure');
  assert.deepEqual(
    sessionEndFiles(runDir),
    [record.hparamsSessionEndFile],
    'the interrupted status is alone in its own file',
  );

  const resumed = experimentCli(['--resume', record.id, '--logdir', logdir, '--progress', 'none', ...where], env);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(
    resumed.stderr,
    new RegExp(`resuming at epoch 1, batch ${state.batchInEpoch} \\(step ${state.globalStep}\\)`),
  );
  const done = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
  assert.equal(done.status, 'success');
  assert.equal(done.globalStep, 75);
  const after = new RunReader(join(runDir, TRAIN_SUBRUN));
  await after.update();
  assert.deepEqual(
    after.scalars('batch_loss').map((p) => p.step),
    Array.from({ length: 75 }, (_, i) => i + 1),
  );
  assert.deepEqual(
    after.scalars('epoch_loss').map((p) => p.step),
    [0],
  );
  assert.equal(sessionEndFiles(runDir).length, 1, 'only the final session end is left for TensorBoard');
  const final = new RunReader(runDir);
  await final.update();
  assert.equal(final.hparams().sessionEnd?.status, 'success');
  assert.equal(
    experimentCli(['--resume', record.id, '--logdir', logdir], env).status,
    2,
    'a finished run is not resumed again',
  );
});

test('a second Ctrl-C exits at once: run.json interrupted, session end in its own file; resume finishes', async () => {
  const env = await cliEnv();
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

  const [runName] = readdirSync(join(logdir, 'quickstart'));
  const runDir = join(logdir, 'quickstart', runName!);
  const record = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
  assert.equal(record.status, 'interrupted');
  assert.deepEqual(sessionEndFiles(runDir), [record.hparamsSessionEndFile]);
  const root = new RunReader(runDir);
  await root.update();
  assert.deepEqual(root.warnings, []);
  assert.equal(root.hparams().sessionEnd?.status, 'failure');
  assert.equal(root.hparams().sessionStart?.hparams.base, 'mobilenetv1');

  const resumed = experimentCli(['--resume', record.id, '--logdir', logdir, '--progress', 'none'], env);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.equal(sessionEndFiles(runDir).length, 1);
  const after = new RunReader(runDir);
  await after.update();
  assert.equal(after.hparams().sessionEnd?.status, 'success');
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
