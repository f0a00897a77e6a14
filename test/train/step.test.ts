import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backends/index.ts';
import type { OptimizerSpec } from '../../src/experiment/definition.ts';
import { createOptimizer, learningRateAt } from '../../src/train/optimizer.ts';
import { trainStep } from '../../src/train/step.ts';

before(async () => {
  await selectBackend('cpu', { quiet: true });
});

/** A small deterministic classifier (no dropout) with fixed initial weights. */
function model(): tf.LayersModel {
  const input = tf.input({ shape: [6] });
  const hidden = tf.layers
    .dense({ units: 5, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) })
    .apply(input);
  const out = tf.layers
    .dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) })
    .apply(hidden);
  return tf.model({ inputs: input, outputs: out as tf.SymbolicTensor });
}

function batch(): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const x = tf.tensor2d(
    Array.from({ length: 8 * 6 }, (_, i) => Math.sin(i * 1.7)),
    [8, 6],
  );
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 2, 1], 'int32'), 3).toFloat() as tf.Tensor2D;
  return { x, y };
}

test('micro-batches with gradient accumulation give the same update as the whole batch', async () => {
  const results = [];
  for (const micro of [8, 3, 1]) {
    const m = model();
    const optimizer = createOptimizer({ name: 'sgd', learningRate: 0.5, momentum: 0.9 });
    const { x, y } = batch();
    const step = (await trainStep(m, optimizer, x, y, micro))!;
    await trainStep(m, optimizer, x, y, micro);
    const weights = m.getWeights().map((w) => Array.from(w.dataSync()));
    tf.dispose([x, y]);
    optimizer.dispose();
    results.push({ step, weights });
  }
  const [whole, ...parts] = results;
  for (const part of parts) {
    assert.ok(Math.abs(part.step.loss - whole!.step.loss) < 1e-5, `loss ${part.step.loss} vs ${whole!.step.loss}`);
    assert.equal(part.step.correct, whole!.step.correct);
    part.weights.forEach((w, i) =>
      w.forEach((v, j) => assert.ok(Math.abs(v - whole!.weights[i]![j]!) < 1e-5, `weight ${i}[${j}]`)),
    );
  }
  assert.ok(
    whole!.weights[0]!.some((v, j) => v !== model().getWeights()[0]!.dataSync()[j]),
    'the step changed the weights',
  );
});

test('training steps leak no tensors', async () => {
  const m = model();
  const optimizer = createOptimizer({ name: 'adam', learningRate: 0.01 });
  const { x, y } = batch();
  await trainStep(m, optimizer, x, y, 3); // creates the optimizer's slots
  const before = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) await trainStep(m, optimizer, x, y, 3);
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x, y]);
});

test('a stop between micro-batches abandons the step: no update, no leaked tensors', async () => {
  const m = model();
  const optimizer = createOptimizer({ name: 'sgd', learningRate: 0.5 });
  const { x, y } = batch();
  const weights = () => m.getWeights().map((w) => Array.from(w.dataSync()));
  const before = weights();
  const tensors = tf.memory().numTensors;
  let asked = 0;
  // The flag is set by a macrotask (as a signal handler is): the step must let the event loop run.
  let flag = false;
  setImmediate(() => (flag = true));
  const result = await trainStep(m, optimizer, x, y, 2, () => (asked++, flag));
  assert.equal(result, null);
  assert.ok(asked >= 1 && asked <= 2, `stopped after ${asked - 1} micro-batch(es) of 4`);
  assert.deepEqual(weights(), before, 'an abandoned step changes nothing');
  assert.equal(tf.memory().numTensors, tensors);
  tf.dispose([x, y]);
});

test('learning-rate schedules', () => {
  const base: OptimizerSpec = { name: 'adam', learningRate: 0.1 };
  assert.equal(learningRateAt(base, 50, 10, 100), 0.1);
  const cosine: OptimizerSpec = { ...base, schedule: { kind: 'cosine', warmupEpochs: 1, minLearningRate: 0.001 } };
  assert.ok(Math.abs(learningRateAt(cosine, 0, 10, 100) - 0.01) < 1e-12, 'warm-up starts at lr/warmup steps');
  assert.ok(Math.abs(learningRateAt(cosine, 9, 10, 100) - 0.1) < 1e-12, 'warm-up ends at the base rate');
  assert.ok(Math.abs(learningRateAt(cosine, 55, 10, 100) - (0.001 + 0.5 * 0.099)) < 1e-12, 'half way down');
  assert.ok(Math.abs(learningRateAt(cosine, 100, 10, 100) - 0.001) < 1e-12);
  const step: OptimizerSpec = { ...base, schedule: { kind: 'step', everyEpochs: 2, factor: 0.5 } };
  assert.deepEqual(
    [0, 19, 20, 45].map((s) => learningRateAt(step, s, 10, 100)),
    [0.1, 0.1, 0.05, 0.025],
  );
  const exp: OptimizerSpec = { ...base, schedule: { kind: 'exponential', ratePerEpoch: 0.5 } };
  assert.ok(Math.abs(learningRateAt(exp, 15, 10, 100) - 0.1 * 0.5 ** 1.5) < 1e-12);
});
