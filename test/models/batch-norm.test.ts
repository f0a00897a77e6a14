import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { FreezableBatchNormalization, freezableBatchNorm } from '../../src/models/layers/freezable-batch-norm.ts';

before(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** Input → BN → conv → GAP → dense: the conv and dense train, so a step really happens. */
function smallModel(bnTrainable: boolean, scale = true): { model: tf.LayersModel; bn: FreezableBatchNormalization } {
  const input = tf.input({ shape: [6, 6, 3], name: 'in' });
  const bn = freezableBatchNorm({ name: 'bn', momentum: 0.5, scale });
  let x = bn.apply(input) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 4, kernelSize: 3, name: 'conv' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 2, activation: 'softmax', name: 'dense' }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  bn.trainable = bnTrainable;
  return { model, bn };
}

function batch(seed: number): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const x = tf.randomNormal([8, 6, 6, 3], 3, 2, 'float32', seed) as tf.Tensor4D;
  const y = tf.oneHot(tf.tensor1d([0, 1, 0, 1, 1, 0, 0, 1], 'int32'), 2) as tf.Tensor2D;
  return { x, y };
}

function movingStats(bn: FreezableBatchNormalization): Float32Array[] {
  return bn
    .getWeights()
    .slice(-2)
    .map((w) => w.dataSync() as Float32Array);
}

function trainingStep(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): void {
  const optimizer = tf.train.sgd(0.5);
  optimizer.minimize(() => {
    const pred = model.apply(x, { training: true }) as tf.Tensor;
    return tf.losses.softmaxCrossEntropy(y, pred) as tf.Scalar;
  });
}

test('frozen BatchNormalization: a training step changes neither its output nor its moving statistics', async () => {
  const { model, bn } = smallModel(false);
  const { x, y } = batch(1);
  // Non-trivial moving statistics, as after loading pretrained weights.
  const [gamma, beta] = bn.getWeights();
  bn.setWeights([gamma!, beta!, tf.fill([3], 2.5), tf.fill([3], 4)]);
  const statsBefore = movingStats(bn);
  const outBefore = (bn.apply(x, { training: false }) as tf.Tensor).arraySync();
  const convBefore = model.getLayer('conv').getWeights()[0]!.dataSync().slice();

  trainingStep(model, x, y);
  model.compile({ optimizer: tf.train.sgd(0.5), loss: 'categoricalCrossentropy' });
  await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });

  assert.notDeepEqual(model.getLayer('conv').getWeights()[0]!.dataSync(), convBefore, 'the rest of the model trained');
  assert.deepEqual(movingStats(bn), statsBefore);
  assert.deepEqual((bn.apply(x, { training: false }) as tf.Tensor).arraySync(), outBefore);
  // Called in training mode it still normalises with the moving statistics.
  assert.deepEqual((bn.apply(x, { training: true }) as tf.Tensor).arraySync(), outBefore);
  assert.equal(bn.trainableWeights.length, 0);
});

test('unfrozen BatchNormalization uses batch statistics and updates its moving statistics', () => {
  const { model, bn } = smallModel(true);
  const { x, y } = batch(2);
  const statsBefore = movingStats(bn);
  trainingStep(model, x, y);
  const statsAfter = movingStats(bn);
  assert.notDeepEqual(statsAfter[0], statsBefore[0]);
  assert.notDeepEqual(statsAfter[1], statsBefore[1]);
  // Batch statistics: each channel of the training-mode output has mean = beta over the batch.
  const out = bn.apply(x, { training: true }) as tf.Tensor;
  const means = tf.mean(out, [0, 1, 2]).dataSync();
  const beta = bn.getWeights()[1]!.dataSync();
  means.forEach((m, c) => assert.ok(Math.abs(m - beta[c]!) < 1e-4, `channel ${c} mean ${m} vs beta ${beta[c]}`));
  // Momentum 0.5 from (0, 1): half-way to the batch mean and the unbiased batch variance (Keras 2).
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  const n = 8 * 6 * 6;
  const wantMean = tf.mul(mean, 0.5).dataSync();
  const wantVar = tf.add(0.5, tf.mul(variance, (0.5 * n) / (n - 1))).dataSync();
  statsAfter[0]!.forEach((m, c) => assert.ok(Math.abs(m - wantMean[c]!) < 1e-4, `moving mean ${m} vs ${wantMean[c]}`));
  statsAfter[1]!.forEach((v, c) =>
    assert.ok(Math.abs(v - wantVar[c]!) < 1e-4, `moving variance ${v} vs ${wantVar[c]}`),
  );
});

test('BatchNormalization with scale: false (InceptionV3) trains', () => {
  const { model, bn } = smallModel(true, false);
  const { x, y } = batch(3);
  assert.deepEqual(
    bn.getWeights().map((w) => w.shape),
    [[3], [3], [3]],
  );
  trainingStep(model, x, y);
  assert.notDeepEqual(movingStats(bn)[0], new Float32Array(3));
});

test('freezing a nested model freezes its BatchNormalization layers', () => {
  const { model: inner, bn } = smallModel(true);
  inner.trainable = false; // tfjs marks the weights only, not each layer
  assert.equal(bn.frozen, true);
  inner.trainable = true;
  assert.equal(bn.frozen, false);
});

test('serialises as a Keras BatchNormalization and deserialises as the freezable one', () => {
  const { model } = smallModel(false);
  const json = model.toJSON(undefined, false) as unknown as {
    config: { layers: { class_name: string; config: Record<string, unknown> }[] };
  };
  const entry = json.config.layers.find((l) => l.config.name === 'bn')!;
  assert.equal(entry.class_name, 'BatchNormalization');
  assert.equal(entry.config.momentum, 0.5);
  assert.equal(entry.config.trainable, false);
  const restored = tf.models.modelFromJSON(json as never);
  return restored.then((m) => {
    const layer = m.getLayer('bn');
    assert.ok(layer instanceof FreezableBatchNormalization);
    assert.equal((layer as FreezableBatchNormalization).frozen, true);
  });
});
