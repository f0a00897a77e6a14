import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '../../src/backends/index.ts';
import { checkpointDir, loadCheckpoint, saveCheckpoint, type TrainState } from '../../src/train/checkpoint.ts';
import { createOptimizer } from '../../src/train/optimizer.ts';
import { trainStep } from '../../src/train/step.ts';

before(async () => {
  await selectBackend('cpu', { quiet: true });
});

function model(): tf.LayersModel {
  const input = tf.input({ shape: [4] });
  const hidden = tf.layers.dense({ units: 6, activation: 'relu', name: 'fc1' }).apply(input);
  const out = tf.layers.dense({ units: 3, activation: 'softmax', name: 'predictions' }).apply(hidden);
  return tf.model({ inputs: input, outputs: out as tf.SymbolicTensor });
}

const x = () =>
  tf.tensor2d(
    Array.from({ length: 20 }, (_, i) => Math.cos(i)),
    [5, 4],
  );
const y = () => tf.oneHot(tf.tensor1d([0, 1, 2, 1, 0], 'int32'), 3).toFloat() as tf.Tensor2D;
const values = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));

const STATE: TrainState = {
  version: 1,
  epoch: 2,
  batchInEpoch: 3,
  globalStep: 17,
  seed: 5,
  epochSums: { loss: 1.5, correct: 7, seen: 12, seconds: 0.25 },
  best: { epoch: 1, valAccuracy: 0.5, valLoss: 1 },
  history: [],
  trainImages: 85,
  savedAt: 'now',
};

test('a checkpoint restores weights, Adam state and loop state: the next step is identical', async () => {
  const runDir = await mkdtemp(join(tmpdir(), 'tl-ckpt-'));
  const a = model();
  const optA = createOptimizer({ name: 'adam', learningRate: 0.05 });
  a.compile({ optimizer: optA, loss: 'categoricalCrossentropy' });
  for (let i = 0; i < 3; i++) await trainStep(a, optA, x(), y(), 5);
  await saveCheckpoint(runDir, a, STATE);
  await saveCheckpoint(runDir, a, STATE); // replacing an existing checkpoint
  assert.equal(checkpointDir(runDir), join(runDir, 'checkpoints'));
  assert.deepEqual(readdirSync(runDir), ['checkpoints'], 'no temp folders left behind');
  assert.ok(existsSync(join(runDir, 'checkpoints', 'model.json')));

  const b = model(); // fresh random weights
  const optB = createOptimizer({ name: 'adam', learningRate: 0.05 });
  b.compile({ optimizer: optB, loss: 'categoricalCrossentropy' });
  assert.notDeepEqual(values(b), values(a));
  const state = await loadCheckpoint(checkpointDir(runDir)!, b, optB);
  assert.deepEqual(state, STATE);
  assert.deepEqual(values(b), values(a));

  await trainStep(a, optA, x(), y(), 5);
  await trainStep(b, optB, x(), y(), 5);
  const [wa, wb] = [values(a), values(b)];
  wa.forEach((w, i) =>
    w.forEach((v, j) => assert.ok(Math.abs(v - wb[i]![j]!) < 1e-6, `weight ${i}[${j}]: ${v} vs ${wb[i]![j]}`)),
  );
});

test('a checkpoint of another architecture is refused with a clear message', async () => {
  const runDir = await mkdtemp(join(tmpdir(), 'tl-ckpt-'));
  const a = model();
  a.compile({ optimizer: createOptimizer({ name: 'sgd', learningRate: 0.1 }), loss: 'categoricalCrossentropy' });
  await saveCheckpoint(runDir, a, STATE);
  const input = tf.input({ shape: [4] });
  const other = tf.model({
    inputs: input,
    outputs: tf.layers
      .dense({ units: 3, name: 'predictions' })
      .apply(tf.layers.dense({ units: 7, name: 'fc1' }).apply(input)) as tf.SymbolicTensor,
  });
  await assert.rejects(
    loadCheckpoint(checkpointDir(runDir)!, other, createOptimizer({ name: 'sgd', learningRate: 0.1 })),
    /weight fc1\/kernel has shape \[4,6\] in the checkpoint, \[4,7\] in the model/,
  );
});
