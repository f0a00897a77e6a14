import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildBase } from '../../src/models/builders/index.ts';
import { buildClassifier, classifierBase } from '../../src/models/classifier.ts';
import { applyFreezing, countWeights } from '../../src/models/freezing.ts';
import { preprocessModeFor } from '../../src/models/preprocess-mode.ts';
import { UpSample } from '../../src/models/layers/up-sample.ts';

before(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const HEAD = {
  pooling: 'avg' as const,
  dense: [{ units: 16, activation: 'relu' as const, dropout: 0.25 }],
  dropout: 0.2,
};

function smallClassifier(resize: 'bilinear' | 'nearest' | 'pad' = 'bilinear'): tf.LayersModel {
  const base = buildBase({ name: 'mobilenetv2', alpha: 0.35, inputSize: 48 });
  return buildClassifier(base, { inputSize: 48, resize, head: HEAD, numClasses: 10 });
}

async function roundTrip(model: tf.LayersModel): Promise<tf.LayersModel> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return tf.loadLayersModel(tf.io.fromMemory(artifacts!));
}

test('classifier: 32×32×3 → UpSample → nested base → head → 10-way softmax', () => {
  const model = smallClassifier();
  assert.deepEqual(model.inputs[0]!.shape, [null, 32, 32, 3]);
  assert.deepEqual(model.outputs[0]!.shape, [null, 10]);
  assert.deepEqual(
    model.layers.map((l) => `${l.name}:${l.getClassName()}`),
    [
      'image:InputLayer',
      'up_sample:UpSample',
      'mobilenetv2_0.35_48:Model',
      'avg_pool:GlobalAveragePooling2D',
      'head_dropout:Dropout',
      'fc1:Dense',
      'fc1_dropout:Dropout',
      'predictions:Dense',
    ],
  );
  const base = classifierBase(model);
  assert.equal(base.layers.length, 154);
  assert.equal(base.getLayer('block_11_expand_relu').getClassName(), 'ReLU');
  assert.equal(model.countParams(), 410_208 + (1280 * 16 + 16) + (16 * 10 + 10));
  const y = tf.tidy(() => model.predict(tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 3)) as tf.Tensor);
  const sums = tf.sum(y, 1).dataSync();
  for (const s of sums) assert.ok(Math.abs(s - 1) < 1e-5);
});

test('a seeded head: the same seed starts from the same kernels, another seed from others', () => {
  const base = buildBase({ name: 'mobilenetv2', alpha: 0.35, inputSize: 32 });
  const head = (seed: number) => {
    const model = buildClassifier(base, { inputSize: 32, resize: 'bilinear', head: HEAD, numClasses: 10, seed });
    return ['fc1', 'predictions'].map((name) => Array.from(model.getLayer(name).getWeights()[0]!.dataSync()));
  };
  const [fc1, predictions] = head(42);
  assert.deepEqual(head(42), [fc1, predictions]);
  const other = head(43);
  assert.notDeepEqual(other[0], fc1);
  assert.notDeepEqual(other[1], predictions);
  assert.notDeepEqual(fc1.slice(0, 10), predictions.slice(0, 10), 'each layer draws its own values');
});

test('head variants: max pooling, flatten, no dense layers', () => {
  const base = buildBase({ name: 'mobilenetv2', alpha: 0.35, inputSize: 64 });
  const flat = buildClassifier(base, {
    inputSize: 64,
    resize: 'nearest',
    head: { pooling: 'flatten' },
    numClasses: 10,
  });
  assert.equal(flat.getLayer('predictions').countParams(), 2 * 2 * 1280 * 10 + 10);
  const max = buildClassifier(base, {
    inputSize: 64,
    resize: 'pad',
    head: { pooling: 'max', dense: [] },
    numClasses: 3,
  });
  assert.deepEqual(max.layers.map((l) => l.name).slice(3), ['max_pool', 'predictions']);
  assert.throws(
    () => buildClassifier(base, { inputSize: 96, resize: 'bilinear', head: HEAD, numClasses: 10 }),
    /inputSize 96 does not match base/,
  );
  assert.throws(
    () =>
      buildClassifier(base, {
        inputSize: 64,
        resize: 'bilinear',
        head: { pooling: 'avg', dropout: 1.5 },
        numClasses: 10,
      }),
    /dropout rate/,
  );
});

test('JSON round trip with the custom layers: same topology, same predictions, freezing kept', async () => {
  const model = smallClassifier('bilinear');
  const base = classifierBase(model);
  applyFreezing(base, { kind: 'last', n: 20 });
  const json = model.toJSON(undefined, false) as unknown as Record<string, unknown>;
  const topology = JSON.stringify(json);
  assert.match(topology, /"class_name":"UpSample"/);
  assert.match(topology, /"size":48/);

  const fromJson = await tf.models.modelFromJSON(json as never);
  assert.equal(JSON.stringify(fromJson.toJSON(undefined, false)), topology);
  fromJson.dispose();

  const restored = await roundTrip(model);
  assert.ok(restored.getLayer('up_sample') instanceof UpSample);
  const restoredBase = classifierBase(restored);
  assert.deepEqual(
    restoredBase.layers.map((l) => l.name),
    base.layers.map((l) => l.name),
  );
  assert.equal(countWeights(restored.trainableWeights), countWeights(model.trainableWeights));
  assert.equal(restoredBase.getLayer('block_14_project_BN').trainable, false);
  const x = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 5);
  const a = (model.predict(x) as tf.Tensor).dataSync();
  const b = (restored.predict(x) as tf.Tensor).dataSync();
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < 1e-6, `prediction ${i}: ${v} vs ${b[i]}`));
});

test('a frozen base inside the classifier: a training step moves only the head, BN statistics stay', async () => {
  const model = buildClassifier(buildBase({ name: 'mobilenetv2', alpha: 0.35, inputSize: 32 }), {
    inputSize: 32,
    resize: 'bilinear',
    head: HEAD,
    numClasses: 10,
  });
  const base = classifierBase(model);
  applyFreezing(base, { kind: 'all' });
  assert.equal(countWeights(model.trainableWeights), 1280 * 16 + 16 + 16 * 10 + 10);
  const before = base.getWeights().map((w) => w.dataSync().slice());
  // A random-init frozen base gives near-zero features, so watch the output bias.
  const head = model.getLayer('predictions').getWeights()[1]!.dataSync().slice();
  model.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
  const x = tf.randomUniform([4, 32, 32, 3], -1, 1, 'float32', 9);
  const y = tf.oneHot(tf.tensor1d([1, 2, 3, 4], 'int32'), 10);
  await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
  base.getWeights().forEach((w, i) => assert.deepEqual(w.dataSync(), before[i], base.weights[i]!.originalName));
  assert.notDeepEqual(model.getLayer('predictions').getWeights()[1]!.dataSync(), head);

  // Unfrozen, the same step does reach the nested base's BatchNormalization statistics.
  applyFreezing(base, { kind: 'none' });
  model.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
  const movingMean = () => base.getLayer('bn_Conv1').getWeights()[2]!.dataSync().slice();
  const meanBefore = movingMean();
  await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
  assert.notDeepEqual(movingMean(), meanBefore);
});

test('DenseNet (slash names) and InceptionV3 (auto names) classifiers survive a JSON round trip', async () => {
  for (const spec of [
    { name: 'densenet121', inputSize: 32 },
    { name: 'inceptionv3', inputSize: 75 },
  ] as const) {
    const model = buildClassifier(buildBase(spec), {
      inputSize: spec.inputSize,
      resize: 'nearest',
      head: { pooling: 'avg' },
      numClasses: 10,
    });
    const restored = await tf.models.modelFromJSON(model.toJSON(undefined, false) as never);
    const names = (m: tf.LayersModel) => classifierBase(m).layers.map((l) => `${l.name}:${l.getClassName()}`);
    assert.deepEqual(names(restored), names(model), spec.name);
    assert.equal(restored.countParams(), model.countParams());
    model.dispose();
    restored.dispose();
  }
});

test('preprocessing mode per base, as Keras preprocess_input', () => {
  assert.equal(preprocessModeFor('densenet121'), 'torch');
  assert.equal(preprocessModeFor('mobilenetv2'), 'tf');
  assert.equal(preprocessModeFor('mobilenetv1'), 'tf');
  assert.equal(preprocessModeFor('inceptionv3'), 'tf');
  assert.equal(preprocessModeFor('resnet50'), 'caffe');
  assert.equal(preprocessModeFor('resnet101'), 'caffe');
  assert.throws(() => preprocessModeFor('vgg'), /unknown base model "vgg"/);
});
