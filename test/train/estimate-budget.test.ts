// The cost estimate's structure (never its speed) and --time-budget, on tiny runs.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backends/index.ts';
import { resolveInlineDefinition } from '../../src/experiment/load.ts';
import { UsageError } from '../../src/experiment/usage-error.ts';
import type { RunRecord } from '../../src/run/record.ts';
import { cheaperSettings, estimateLines, estimateRun, plannedCounts } from '../../src/train/estimate.ts';
import { buildRunModel } from '../../src/train/model-setup.ts';
import { runExperiment } from '../../src/train/run-experiment.ts';
import { parseDuration, TimeBudget } from '../../src/train/time-budget.ts';
import { cifarDir, sharedModelsDir } from '../helpers/shared.ts';

let dir: string;
before(async () => {
  await selectBackend('wasm', { quiet: true });
  dir = await mkdtemp(join(tmpdir(), 'tl-estimate-'));
  process.env.TRANSFERLAB_CACHE_DIR = join(dir, 'cache');
});

const tiny = (overrides: Record<string, unknown>) =>
  resolveInlineDefinition(
    {
      extends: 'mobilenetv2-frozen',
      model: { alpha: 0.35, weights: 'none', inputSize: 32 },
      data: { trainPerClass: 3, validationSize: 20, testPerClass: 2 },
      train: { epochs: 4, batchSize: 8 },
      ...overrides,
    },
    {},
  ).definition;

const values = (model: tf.LayersModel) => model.getWeights().map((w) => Array.from(w.dataSync()));

for (const [name, freeze] of [
  ['cached features (frozen base)', 'all'],
  ['images (fine-tuning in micro-batches)', 'none'],
] as const) {
  test(`estimate of a run on ${name}: its parts add up, weights untouched`, async () => {
    const def = tiny({
      model: { alpha: 0.35, weights: 'none', inputSize: 32, freeze },
      train: { epochs: 4, batchSize: 8, microBatch: 4 },
    });
    const built = await buildRunModel(def, { weightsDir: dir, modelsDir: dir, download: false });
    const before = values(built.classifier);
    const counts = plannedCounts(def);
    assert.deepEqual(counts, { train: 30, validation: 20, test: 20 });
    const e = await estimateRun(def, built, counts, { name: 'wasm', kind: 'wasm' });
    assert.deepEqual(values(built.classifier), before, 'the timed steps leave the weights as they were');
    assert.equal(e.featureCache, freeze === 'all');
    assert.equal(e.featureSeconds > 0, freeze === 'all', 'extraction is timed only for cached features');
    for (const key of ['secondsPerEpoch', 'testSeconds', 'totalSeconds', 'flops', 'peakMemoryBytes'] as const)
      assert.ok(Number.isFinite(e[key]) && e[key] > 0, `${key}: ${e[key]}`);
    assert.ok(e.timedSteps >= 3);
    const sum = e.featureSeconds + 4 * e.secondsPerEpoch + e.testSeconds;
    assert.ok(Math.abs(e.totalSeconds - sum) < 1e-9 * sum, 'features + epochs × per epoch + test');
    assert.deepEqual(e.advice, [], 'a tiny run needs no advice');
    assert.equal(e.actual, null);
    assert.match(estimateLines(e, 4)[0]!, /per epoch · total .* 4 epochs.* [GTP]FLOPs · peak tensor memory \d+ MiB/);
  });
}

test('over 12 h on a CPU the estimate names cheaper settings; on a GPU or under 12 h it does not', () => {
  const def = tiny({ model: { alpha: 0.35, weights: 'none', inputSize: 160, freeze: 'none' } });
  const advice = cheaperSettings(def, false, 13 * 3600, 'wasm');
  assert.ok(advice.some((a) => a.includes('model.freeze=all')));
  assert.ok(advice.some((a) => a.includes('model.inputSize=96')));
  assert.ok(advice.some((a) => a.includes('GPU')));
  assert.deepEqual(cheaperSettings(def, false, 13 * 3600, 'gpu'), []);
  assert.deepEqual(cheaperSettings(def, false, 11 * 3600, 'cpu'), []);
  const e = {
    ...{ backend: 'cpu', featureCache: false, timedSteps: 3, featureSeconds: 0, secondsPerEpoch: 3600 },
    ...{ testSeconds: 1, totalSeconds: 13 * 3600, flops: 1e15, peakMemoryBytes: 2 ** 30, advice, actual: null },
  };
  assert.match(estimateLines(e, 13)[1]!, /^estimate: over 12 h on a CPU; cheaper: /);
});

test('parseDuration: 90s, 30m, 1h30m; anything else is a usage error', () => {
  assert.equal(parseDuration('90s'), 90);
  assert.equal(parseDuration('30m'), 1800);
  assert.equal(parseDuration('1h30m'), 5400);
  assert.equal(parseDuration('0.5h'), 1800);
  for (const bad of ['30', 'm', '30 m', '-5m', '0s', '1d', '30mx'])
    assert.throws(() => parseDuration(bad), UsageError, bad);
});

test('TimeBudget: the next epoch is predicted from the mean of the measured ones, test time reserved', () => {
  const budget = new TimeBudget(100, 0);
  budget.reserveSeconds = 5;
  assert.equal(budget.allowsEpoch(90_000), true, 'the first epoch always runs');
  budget.epochDone(20);
  budget.epochDone(30);
  assert.equal(budget.allowsEpoch(70_000), true, '70 + 25 + 5 = 100 fits');
  assert.deepEqual(budget.entry(), { seconds: 100, endedTraining: false, predictedEpochSeconds: null });
  assert.equal(budget.allowsEpoch(70_001), false);
  assert.deepEqual(budget.entry(), { seconds: 100, endedTraining: true, predictedEpochSeconds: 25 });
});

test('a time budget that fits one epoch of a tiny run: one epoch, evaluated, run.json says why', async () => {
  const { runDir, record } = await runExperiment('quickstart', {
    logdir: join(dir, 'logs'),
    dataDir: cifarDir(),
    modelsDir: sharedModelsDir(),
    backend: 'wasm',
    progress: 'none',
    download: false,
    log: () => {},
    // Loading the data and the model alone takes longer than this: the first epoch runs, no second.
    timeBudget: 0.5,
    overrides: [
      'data.trainPerClass=3',
      'data.validationSize=20',
      'data.testPerClass=2',
      'model.inputSize=32',
      'train.batchSize=8',
      'train.epochs=5',
    ],
  });
  assert.equal(record.status, 'success');
  const onDisk = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as RunRecord;
  assert.deepEqual(onDisk.epochs, { planned: 5, completed: 1 });
  assert.equal(onDisk.timeBudget?.seconds, 0.5);
  assert.equal(onDisk.timeBudget?.endedTraining, true);
  assert.ok((onDisk.timeBudget?.predictedEpochSeconds ?? 0) > 0);
  assert.ok(onDisk.final && onDisk.final.testAccuracy >= 0, 'the test set was still evaluated');
  assert.ok(onDisk.estimate && onDisk.estimate.totalSeconds > 0);
  assert.ok(onDisk.estimate.actual && onDisk.estimate.actual.secondsPerEpoch! > 0, 'the measured figures beside it');
});
