import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { NUM_CLASSES } from '../../src/data/index.ts';
import { resolveRun } from '../../src/train/resolve-run.ts';
import { runExperiment } from '../../src/train/run-experiment.ts';
import { checkpointDir, loadCheckpoint } from '../../src/train/checkpoint.ts';
import { evaluate } from '../../src/train/evaluate.ts';
import { ForwardEngines } from '../../src/train/forward-engine.ts';
import { loadRunData, trainingInputs } from '../../src/train/inputs.ts';
import { buildRunModel, type RunModel } from '../../src/train/model-setup.ts';
import { createOptimizer } from '../../src/train/optimizer.ts';
import { installStopSignal } from '../../src/train/signals.ts';
import type { ExperimentDefinition } from '../../src/experiment/definition.ts';
import type { EngineEntry } from '../../src/run/record.ts';
import { cifarDir, repoRoot, sharedModelsDir } from '../helpers/shared.ts';
import { runWithoutOnnxRuntime } from '../onnx/without-onnxruntime.ts';
import { localRunOptions } from '../helpers/run-options.ts';

// quickstart on a small stratified subset: the real pretrained MobileNet v1 0.25 at 64 px.
const TINY = [
  'data.trainPerClass=5',
  'data.validationSize=30',
  'data.testPerClass=3',
  'model.inputSize=64',
  'train.batchSize=10',
];

let logdir: string;
let cacheDir: string;
before(async () => {
  logdir = await mkdtemp(join(tmpdir(), 'tl-engine-runs-'));
  cacheDir = await mkdtemp(join(tmpdir(), 'tl-engine-cache-'));
  process.env.TRANSFERLAB_CACHE_DIR = cacheDir;
});

const common = () => localRunOptions(logdir);

/** The run's classifier with its checkpointed weights. */
async function checkpointed(runDir: string, def: ExperimentDefinition): Promise<RunModel> {
  const built = await buildRunModel(def, { weightsDir: cacheDir, modelsDir: sharedModelsDir(), download: false });
  const optimizer = createOptimizer(def.optimizer);
  built.classifier.compile({ optimizer, loss: 'categoricalCrossentropy' });
  await loadCheckpoint(checkpointDir(runDir)!, built.classifier, optimizer);
  return built;
}

let quickstartRun = '';

test('--engine onnx: run.json records ONNX Runtime per phase; test predictions equal tfjs (same weights)', async () => {
  const { runDir, record } = await runExperiment('quickstart', {
    ...common(),
    overrides: [...TINY, 'train.epochs=2'],
    engine: 'onnx',
    threads: 1,
  });
  quickstartRun = record.id;
  assert.equal(record.status, 'success');
  for (const phase of ['features', 'validation', 'test'] as const) {
    assert.deepEqual(record.engines?.[phase], {
      engine: 'onnx',
      provider: 'cpu',
      threads: 1,
      version: record.engines?.[phase]?.version,
      notice: null,
    });
    assert.match(record.engines![phase]!.version!, /^\d+\.\d+\.\d+/);
  }
  assert.equal(record.engines?.prefix, undefined, 'a frozen base has no prefix pass');

  // The same weights, the whole classifier on images: tfjs and ONNX Runtime predict the same classes.
  const def = record.definition;
  const built = await checkpointed(runDir, def);
  const data = await loadRunData(def, cifarDir(), 'none', false);
  const stop = installStopSignal({ handleProcessSignals: false });
  const inputs = await trainingInputs({
    def: { ...def, train: { ...def.train, featureCache: 'off' } },
    built,
    data,
    numClasses: NUM_CLASSES,
    cacheDir,
    stop,
    log: () => {},
    heartbeat: () => {},
  });
  assert.ok(!('stopped' in inputs));
  const test = inputs.sources.test;
  const onTfjs = await evaluate(inputs.model, test, NUM_CLASSES, 16, test.count);
  const engines = await ForwardEngines.create({ engine: 'onnx', threads: 1, log: () => {} });
  const onOnnx = await engines.pass('test', built.classifier, (m) => evaluate(m, test, NUM_CLASSES, 16, test.count));
  stop.dispose();
  assert.equal(engines.used.test?.engine, 'onnx');
  assert.deepEqual(
    onOnnx!.predictions.map((p) => p.predicted),
    onTfjs!.predictions.map((p) => p.predicted),
  );
  assert.ok(Math.abs(onOnnx!.loss - onTfjs!.loss) < 1e-4, `${onOnnx!.loss} vs ${onTfjs!.loss}`);
  // …and so does the run's own test pass (head on ONNX Runtime features).
  assert.equal(record.final?.testAccuracy, onTfjs!.accuracy);
});

test('--engine tfjs: every phase on tfjs, no notice', async () => {
  const { record } = await runExperiment('quickstart', {
    ...common(),
    overrides: [...TINY, 'train.epochs=1', 'seed=7'],
    engine: 'tfjs',
  });
  const tfjs = { engine: 'tfjs', provider: null, threads: null, version: null, notice: null };
  assert.deepEqual(record.engines, { features: tfjs, validation: tfjs, test: tfjs });
});

test('--engine auto: the base on ONNX Runtime; the small head on cached features stays on tfjs, said why', async () => {
  const { record } = await runExperiment('quickstart', {
    ...common(),
    overrides: [...TINY, 'train.epochs=1', 'seed=8'],
    engine: 'auto',
    threads: 1,
  });
  assert.equal(record.status, 'success');
  assert.equal(record.engines?.features?.engine, 'onnx');
  for (const phase of ['validation', 'test'] as const) {
    const entry: EngineEntry | undefined = record.engines?.[phase];
    assert.equal(entry?.engine, 'tfjs', phase);
    assert.match(entry?.notice ?? '', /^auto: \S+ is small \([\d.]+ k multiply-adds per image\)$/, phase);
  }
  // The same features again: a cache hit runs no extraction, so run.json names no engine for it
  // (the estimate timed one, and records nothing).
  const again = await runExperiment('quickstart', {
    ...common(),
    overrides: [...TINY, 'train.epochs=1', 'seed=8'],
    engine: 'auto',
    threads: 1,
  });
  assert.equal(again.record.featureCache?.hit, true);
  assert.equal(again.record.engines?.features, undefined);
});

test('a partly frozen base trains after its frozen prefix on ONNX Runtime: loss falls, prefix unchanged', async () => {
  const definition = {
    extends: 'quickstart',
    // Joined, normalised features belong to cached features of a frozen base: the plain head here.
    model: { freeze: { last: 12 }, head: { joinLayers: [], normalize: false } },
  };
  const overrides = [...TINY, 'train.epochs=3', 'data.augment.flip=true'];
  const lines: string[] = [];
  const { runDir, record } = await runExperiment(definition, {
    ...common(),
    overrides,
    engine: 'onnx',
    log: (line) => lines.push(line),
  });
  assert.equal(record.status, 'success', record.error ?? '');
  assert.equal(record.engines?.prefix?.engine, 'onnx');
  assert.equal(record.engines?.features, undefined, 'trained on images: no cached features');
  assert.ok(lines.some((l) => /^engine prefix: \d+ frozen layers .* on ONNX Runtime up to conv_pw_11_relu/.test(l)));
  const losses = record.history.map((h) => h.trainLoss);
  assert.ok(losses[2]! < losses[0]!, `train loss ${losses.join(' → ')}`);

  const { def } = resolveRun(definition, { logdir, overrides });
  const fresh = await buildRunModel(def, { weightsDir: cacheDir, modelsDir: sharedModelsDir(), download: false });
  const trained = await checkpointed(runDir, def);
  const first = fresh.freeze.firstTrainableIndex!;
  const values = (layers: tf.layers.Layer[]) => layers.flatMap((l) => l.weights.map((w) => w.read().dataSync()));
  const frozenBefore = values(fresh.base.layers.slice(0, first));
  const frozenAfter = values(trained.base.layers.slice(0, first));
  assert.ok(frozenBefore.length > 0);
  frozenBefore.forEach((v, i) => assert.deepEqual(frozenAfter[i], v, `frozen weight ${i} unchanged`));
  const trainableBefore = values(fresh.base.layers.slice(first));
  const trainableAfter = values(trained.base.layers.slice(first));
  assert.ok(
    trainableBefore.some((v, i) => v.some((x, j) => x !== trainableAfter[i]![j])),
    'the trainable part of the base changed',
  );
});

const exportCli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/export.ts'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, TRANSFERLAB_DATA_DIR: join(cifarDir(), '..'), TRANSFERLAB_MODELS_DIR: sharedModelsDir() },
    timeout: 120_000,
  });

test('npm run export: model.onnx beside the run, checked against tfjs; a bad run or format is one line, exit 2', () => {
  assert.ok(quickstartRun, 'the --engine onnx run finished');
  const ok = exportCli(quickstartRun, '--format', 'onnx', '--logdir', logdir);
  assert.equal(ok.status, 0, ok.stderr);
  const path = join(logdir, quickstartRun, 'model.onnx');
  assert.ok(existsSync(path));
  const m = /^(.*): ONNX Runtime vs tfjs on (\d+) test images: max abs diff (\S+) .* (\d+) class mismatches\n$/.exec(
    ok.stdout,
  );
  assert.ok(m, ok.stdout);
  assert.equal(m[1], path);
  assert.equal(m[2], '30');
  assert.ok(Number(m[3]) < 1e-4, m[3]);
  assert.equal(m[4], '0');

  const missing = exportCli('quickstart/19990101-000000', '--format', 'onnx', '--logdir', logdir);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /^export quickstart\/19990101-000000: no run\.json in .*\n$/);
  const format = exportCli(quickstartRun, '--format', 'tflite', '--logdir', logdir);
  assert.equal(format.status, 2);
  assert.equal(format.stderr, 'export: --format tflite: expected onnx\n');
});

test('without onnxruntime-node: auto runs on tfjs with one notice line; --engine onnx fails with one line', () => {
  const dataDir = join(cifarDir(), '..');
  const child = runWithoutOnnxRuntime(`
import { spawnSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { runExperiment } from './src/train/run-experiment.ts';
symlinkSync(${JSON.stringify(join(repoRoot, 'experiments'))}, 'experiments');
const lines = [];
const { record } = await runExperiment('quickstart', {
  logdir: 'logs', dataDir: ${JSON.stringify(cifarDir())}, modelsDir: ${JSON.stringify(sharedModelsDir())},
  backend: 'wasm', progress: 'none', download: false, log: (l) => lines.push(l),
  overrides: ${JSON.stringify([...TINY, 'train.epochs=1', 'seed=11'])},
});
const notices = lines.filter((l) => l.includes('ONNX Runtime'));
console.log(JSON.stringify({ engines: record.engines, status: record.status, notices }));
const cli = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/experiment.ts', 'quickstart', '--engine', 'onnx',
  '--logdir', 'logs', '--data-dir', ${JSON.stringify(dataDir)}], { encoding: 'utf8' });
console.log(JSON.stringify({ status: cli.status, stderr: cli.stderr }));
`);
  assert.equal(child.status, 0, child.stderr);
  const [run, cli] = child.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const { engines, status, notices } = run as {
    engines: Record<string, { engine: string; notice: string }>;
    status: string;
    notices: string[];
  };
  assert.equal(status, 'success');
  assert.deepEqual(Object.keys(engines).sort(), ['features', 'test', 'validation']);
  for (const e of Object.values(engines)) {
    assert.equal(e.engine, 'tfjs');
    assert.match(e.notice, /^ONNX Runtime unavailable \(.*onnxruntime-node.*\)/);
  }
  assert.equal(notices.length, 1, notices.join('\n'));
  assert.match(notices[0]!, /^engine: ONNX Runtime unavailable \(.*\); running forward passes on tfjs$/);
  assert.equal(cli!.status, 1);
  assert.match(cli!.stderr as string, /^--engine onnx: ONNX Runtime unavailable \(.*\)\n$/);
});
