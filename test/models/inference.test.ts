import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import {
  buildBase,
  buildClassifier,
  foldBatchNorm,
  FreezableBatchNormalization,
  freezableBatchNorm,
  fastRelu6Enabled,
  useFastRelu6,
  batchNormInference,
} from '../../src/models/index.ts';

before(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

/** Gives every BN non-trivial statistics and scale/offset, as pretrained weights have. */
function randomizeBatchNorms(model: tf.LayersModel, seed: number): void {
  let s = seed;
  const walk = (layers: tf.layers.Layer[]): void => {
    for (const layer of layers) {
      if (layer instanceof tf.LayersModel) walk(layer.layers);
      if (layer.getClassName() !== 'BatchNormalization') continue;
      layer.setWeights(
        layer.getWeights().map((w, i, all) => {
          const isVariance = i === all.length - 1;
          return isVariance
            ? tf.randomUniform(w.shape, 0.2, 2, 'float32', s++)
            : tf.randomNormal(w.shape, 0, 0.7, 'float32', s++);
        }),
      );
    }
  };
  walk(model.layers);
}

test('ReLU6: ReLU(maxValue 6) and Activation(relu6) run tf.relu6 with the reference values and gradient', () => {
  assert.equal(fastRelu6Enabled(), true);
  const x = tf.tensor1d([-3, -0, 0, 1e-7, 2.5, 5.999, 6, 6.0001, 40]);
  const reluLayer = tf.layers.reLU({ maxValue: 6 });
  const activation = tf.layers.activation({ activation: 'relu6' });
  const reference = tf.minimum(6, tf.relu(x));
  for (const layer of [reluLayer, activation]) {
    assert.deepEqual((layer.apply(x) as tf.Tensor).arraySync(), reference.arraySync());
    // Gradient mask 0 < x ≤ 6, as clipByValue(relu(x)) and minimum(6, relu(x)) give.
    const g = tf.grad((t: tf.Tensor) => layer.apply(t) as tf.Tensor)(x);
    assert.deepEqual(Array.from(g.dataSync()), [0, 0, 0, 1, 1, 1, 1, 0, 0]);
  }
  // A profile shows the Relu6 kernel instead of Relu + ClipByValue / Minimum.
  return tf
    .profile(() => activation.apply(x) as tf.Tensor)
    .then((info) => assert.deepEqual(info.kernelNames, ['Relu6']));
});

test('ReLU6: other maxValues keep tfjs behaviour, and useFastRelu6(false) restores tfjs methods', async () => {
  const x = tf.tensor1d([-1, 2, 5]);
  assert.deepEqual((tf.layers.reLU({ maxValue: 3 }).apply(x) as tf.Tensor).arraySync(), [0, 2, 3]);
  assert.deepEqual((tf.layers.reLU({}).apply(x) as tf.Tensor).arraySync(), [0, 2, 5]);
  useFastRelu6(false);
  try {
    assert.equal(fastRelu6Enabled(), false);
    const info = await tf.profile(() => tf.layers.activation({ activation: 'relu6' }).apply(x) as tf.Tensor);
    assert.ok(!info.kernelNames.includes('Relu6'), info.kernelNames.join(','));
  } finally {
    useFastRelu6(true);
  }
  const info = await tf.profile(() => tf.layers.reLU({ maxValue: 6 }).apply(x) as tf.Tensor);
  assert.deepEqual(info.kernelNames, ['Relu6']);
});

test('ReLU6 layers keep their class, name and config through a save/load round trip', async () => {
  const input = tf.input({ shape: [4] });
  const a = tf.layers.reLU({ maxValue: 6, name: 'keras_relu6' }).apply(input) as tf.SymbolicTensor;
  const b = tf.layers.activation({ activation: 'relu6', name: 'act_relu6' }).apply(a) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: b });
  const json = model.toJSON(undefined, false) as unknown as {
    config: { layers: { class_name: string; config: Record<string, unknown> }[] };
  };
  const byName = Object.fromEntries(json.config.layers.map((l) => [l.config.name, l]));
  assert.equal(byName.keras_relu6!.class_name, 'ReLU');
  assert.equal(byName.keras_relu6!.config.max_value ?? byName.keras_relu6!.config.maxValue, 6);
  assert.equal(byName.act_relu6!.class_name, 'Activation');
  assert.equal(byName.act_relu6!.config.activation, 'relu6');
  const restored = await tf.models.modelFromJSON(json as never);
  const x = tf.tensor2d([[-2, 3, 7, 6]]);
  assert.deepEqual((restored.predict(x) as tf.Tensor).arraySync(), [[0, 3, 6, 6]]);
  const info = await tf.profile(() => restored.predict(x) as tf.Tensor);
  assert.ok(info.kernelNames.includes('Relu6'), info.kernelNames.join(','));
  assert.ok(!info.kernelNames.some((k) => k === 'Minimum' || k === 'ClipByValue'), info.kernelNames.join(','));
});

test('BN inference as x·scale + offset equals tf.batchNorm, and its gradients match', () => {
  const x = tf.randomNormal([3, 5, 5, 7], 2, 3, 'float32', 1);
  const mean = tf.randomNormal([7], 0, 1, 'float32', 2);
  const variance = tf.randomUniform([7], 0.01, 4, 'float32', 3);
  const beta = tf.randomNormal([7], 0, 1, 'float32', 4);
  const gamma = tf.randomNormal([7], 1, 0.5, 'float32', 5);
  const want = tf.batchNorm(x, mean, variance, beta, gamma, 1e-3);
  assert.ok(maxAbsDiff(batchNormInference(x, mean, variance, beta, gamma, 1e-3), want) < 1e-5);
  const f = (fn: typeof batchNormInference) =>
    tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.sin(fn(a, mean, variance, b, g, 1e-3))));
  const got = f(batchNormInference)([x, gamma, beta]);
  const ref = f(tf.batchNorm as typeof batchNormInference)([x, gamma, beta]);
  got.forEach((g, i) =>
    assert.ok(maxAbsDiff(g, ref[i]!) < 1e-4 * Math.max(1, tf.max(tf.abs(ref[i]!)).dataSync()[0]!), `gradient ${i}`),
  );
});

test('frozen FreezableBatchNormalization (fast inference) never updates its moving statistics inside fit', async () => {
  assert.equal(FreezableBatchNormalization.fastInference, true);
  const input = tf.input({ shape: [4, 4, 3] });
  const bn = freezableBatchNorm({ name: 'bn', momentum: 0.5 });
  let h = bn.apply(input) as tf.SymbolicTensor;
  h = tf.layers.flatten().apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 2, activation: 'softmax' }).apply(h) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  bn.setWeights([tf.fill([3], 1.5), tf.fill([3], -0.5), tf.fill([3], 2), tf.fill([3], 3)]);
  bn.trainable = false;
  const stats = bn.getWeights().map((w) => Array.from(w.dataSync()));
  const x = tf.randomNormal([8, 4, 4, 3], 0, 4, 'float32', 7);
  const expected = tf.batchNorm(x, tf.fill([3], 2), tf.fill([3], 3), tf.fill([3], -0.5), tf.fill([3], 1.5), 1e-3);
  model.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
  await model.fit(x, tf.oneHot(tf.tensor1d([0, 1, 0, 1, 0, 1, 0, 1], 'int32'), 2), {
    epochs: 2,
    batchSize: 4,
    verbose: 0,
  });
  assert.deepEqual(
    bn.getWeights().map((w) => Array.from(w.dataSync())),
    stats,
  );
  assert.ok(maxAbsDiff(bn.apply(x, { training: true }) as tf.Tensor, expected) < 1e-5);
});

test('foldBatchNorm: conv/depthwise (multiplier 2, bias, strides, dilation) → BN → ReLU/ReLU6 match the model', () => {
  const input = tf.input({ shape: [11, 11, 3] });
  let x = tf.layers
    .conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'c1' })
    .apply(input) as tf.SymbolicTensor;
  x = freezableBatchNorm({ name: 'c1_bn', epsilon: 1e-3 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ maxValue: 6, name: 'c1_relu' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'valid', useBias: true, name: 'dw' })
    .apply(x) as tf.SymbolicTensor;
  x = freezableBatchNorm({ name: 'dw_bn', scale: false }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.activation({ activation: 'relu', name: 'dw_relu' }).apply(x) as tf.SymbolicTensor;
  const branch = tf.layers
    .conv2d({ filters: 16, kernelSize: 3, dilationRate: 2, padding: 'same', name: 'dil' })
    .apply(x) as tf.SymbolicTensor;
  const bnOut = freezableBatchNorm({ name: 'dil_bn' }).apply(branch) as tf.SymbolicTensor;
  // Two consumers of bnOut: the BN cannot absorb the activation, the add reads it too.
  const act = tf.layers.activation({ activation: 'relu6', name: 'dil_relu' }).apply(bnOut) as tf.SymbolicTensor;
  const sum = tf.layers.add({ name: 'add' }).apply([act, bnOut]) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: [sum, x] });
  randomizeBatchNorms(model, 10);
  const folded = foldBatchNorm(model);
  assert.deepEqual(folded.summary, {
    fusedConvs: 3,
    foldedBatchNorms: 3,
    foldedActivations: 2,
    standaloneBatchNorms: 0,
    otherLayers: 2,
  });
  const images = tf.randomNormal([4, 11, 11, 3], 0, 2, 'float32', 3);
  const want = model.predict(images) as tf.Tensor[];
  const before = tf.memory().numTensors;
  const got = folded.predict([images]);
  assert.equal(tf.memory().numTensors, before + 2, 'only the outputs are left');
  got.forEach((g, i) => {
    assert.deepEqual(g.shape, want[i]!.shape);
    assert.ok(maxAbsDiff(g, want[i]!) < 1e-4, `output ${i}: ${maxAbsDiff(g, want[i]!)}`);
  });
  // apply() is predict() under a LayersModel's signature.
  const applied = folded.apply([images], { training: false }) as tf.Tensor[];
  assert.equal(maxAbsDiff(applied[1]!, got[1]!), 0);
  folded.dispose();
  assert.throws(() => folded.predict(images), /after dispose/);
});

test('foldBatchNorm on a classifier feature model: nested MobileNet v1 base, DenseNet-style standalone BNs', () => {
  const base = buildBase({ name: 'mobilenetv1', alpha: 0.25, inputSize: 32 });
  const classifier = buildClassifier(base, {
    inputSize: 32,
    resize: 'bilinear',
    numClasses: 10,
    head: { pooling: 'avg' },
  });
  randomizeBatchNorms(classifier, 20);
  base.trainable = false;
  const features = tf.model({
    inputs: classifier.inputs,
    outputs: classifier.getLayer('avg_pool').output as tf.SymbolicTensor,
  });
  const folded = foldBatchNorm(features);
  assert.equal(folded.summary.foldedBatchNorms, 27);
  assert.equal(folded.summary.foldedActivations, 27);
  const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 5);
  const want = features.predict(x) as tf.Tensor;
  const got = folded.predict(x);
  assert.deepEqual(got.shape, [2, 256]);
  assert.ok(
    maxAbsDiff(got, want) < 1e-4 * Math.max(1, tf.max(tf.abs(want)).dataSync()[0]!),
    String(maxAbsDiff(got, want)),
  );
  // The model itself still computes as before (it was read, not changed).
  assert.ok(maxAbsDiff(features.predict(x) as tf.Tensor, want) === 0);

  const dense = buildBase({ name: 'densenet121', inputSize: 32 });
  randomizeBatchNorms(dense, 30);
  const foldedDense = foldBatchNorm(dense);
  // 121 BNs: those after a convolution fold into it, the pre-activation ones (BN → ReLU → conv) stand alone.
  assert.equal(foldedDense.summary.foldedBatchNorms + foldedDense.summary.standaloneBatchNorms, 121);
  assert.ok(foldedDense.summary.standaloneBatchNorms > 50, JSON.stringify(foldedDense.summary));
  const xd = tf.randomNormal([1, 32, 32, 3], 0, 1, 'float32', 6);
  const wantD = dense.predict(xd) as tf.Tensor;
  const diff = maxAbsDiff(foldedDense.predict(xd), wantD);
  assert.ok(diff < 1e-4 * Math.max(1, tf.max(tf.abs(wantD)).dataSync()[0]!), String(diff));
});
