// Joined multi-level features (model.head.joinLayers) and their standardisation (model.head.normalize)
// on a tiny random MobileNetV2 at 32 px: dimensions, the classifier against the head on cached
// features, Keras Normalization's adapt, the ONNX export, a checkpoint round trip, the cache key
// and the definition's errors.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backends/index.ts';
import { resolveInlineDefinition } from '../../src/experiment/load.ts';
import type { ExperimentDefinition } from '../../src/experiment/definition.ts';
import { FeatureNormalization } from '../../src/models/index.ts';
import { initialTrainState, loadCheckpoint, saveCheckpoint } from '../../src/train/checkpoint.ts';
import { cachedFeatures } from '../../src/train/feature-cache.ts';
import { featureModels } from '../../src/train/feature-models.ts';
import { buildRunModel, type RunModel } from '../../src/train/model-setup.ts';
import { installStopSignal } from '../../src/train/signals.ts';
import type { ImageSet } from '../../src/data/index.ts';
import { compare, runOnnx } from '../onnx/helpers.ts';
import { seedWeights } from '../helpers/seed-weights.ts';

const TAPS = ['block_3_expand_relu', 'block_6_expand_relu', 'block_13_expand_relu'];

let cacheDir: string;

const define = (head: Record<string, unknown> = {}, more: Record<string, unknown> = {}): ExperimentDefinition =>
  resolveInlineDefinition(
    {
      extends: 'mobilenetv2-frozen',
      model: { alpha: 0.35, weights: 'none', inputSize: 32, head: { pooling: 'avg', dense: [{ units: 8 }], ...head } },
      data: { trainPerClass: 2, validationSize: 0, testPerClass: 1 },
      ...more,
    },
    {},
  ).definition;

const build = async (def: ExperimentDefinition): Promise<RunModel> => {
  const built = await buildRunModel(def, { weightsDir: cacheDir, modelsDir: cacheDir, download: false });
  seedWeights(built.classifier, 7);
  return built;
};

const imageSet = (count: number, salt = 0): ImageSet => ({
  images: Uint8Array.from({ length: count * 3072 }, (_, i) => (i * 7 + salt + ((i * i) % 13)) % 256),
  labels: Uint8Array.from({ length: count }, (_, i) => i % 10),
  count,
});

async function features(def: ExperimentDefinition, built: RunModel) {
  return cachedFeatures({
    def,
    built,
    models: featureModels(built.classifier, def.model),
    data: { train: imageSet(6), validation: null, test: imageSet(4, 99), files: { a: 1 } },
    numClasses: 10,
    cacheDir,
    stop: installStopSignal({ handleProcessSignals: false }),
    heartbeat: () => {},
    log: () => {},
  });
}

const normalization = (model: tf.LayersModel): FeatureNormalization =>
  model.layers.find((l): l is FeatureNormalization => l instanceof FeatureNormalization)!;

before(async () => {
  await selectBackend('wasm', { quiet: true });
  cacheDir = await mkdtemp(join(tmpdir(), 'tl-joined-layers-'));
});

test('joinLayers: the tapped layers pooled ahead of the base output; the classifier is the head on them', async () => {
  const def = define({ joinLayers: TAPS, normalize: true });
  const built = await build(def);
  const channels = [...TAPS, 'out_relu'].map((l) => (built.base.getLayer(l).outputShape as number[])[3]!);
  const models = featureModels(built.classifier, def.model);
  assert.equal(
    models.featureDim,
    channels.reduce((a, b) => a + b, 0),
  );
  assert.deepEqual(models.head.inputs[0]!.shape, [null, models.featureDim]);
  assert.ok(built.classifier.trainableWeights.length > 0, 'the head trains');
  assert.equal(built.base.trainableWeights.length, 0, 'the base stays frozen');

  const x = tf.randomUniform([3, 32, 32, 3], -1, 1, 'float32', 3);
  const pooled = models.sizes[0]!.model.predict(x) as tf.Tensor2D;
  normalization(models.head).adapt(pooled.dataSync() as Float32Array, 3);
  const whole = built.classifier.predict(x) as tf.Tensor;
  const viaHead = models.head.predict(pooled) as tf.Tensor;
  assert.ok(tf.max(tf.abs(tf.sub(whole, viaHead))).dataSync()[0]! < 1e-5);
  // The first columns are the first tapped layer's pooled output.
  const inner = tf.model({
    inputs: built.base.inputs,
    outputs: built.base.getLayer(TAPS[0]!).output as tf.SymbolicTensor,
  });
  const byHand = tf.mean(inner.predict(x) as tf.Tensor, [1, 2]);
  const { diff, scale } = compare(
    pooled.slice([0, 0], [3, channels[0]!]).dataSync() as Float32Array,
    byHand.dataSync(),
  );
  assert.ok(diff <= 1e-5 * Math.max(scale, 1), `first tap's columns: ${diff}`);
});

test('normalize: adapt sets the mean and variance of the training rows; the output is standardised', async () => {
  const def = define({ normalize: true });
  const built = await build(def);
  const layer = normalization(built.classifier);
  const rows = 50;
  const dim = layer.statistics().mean.length;
  const values = Float32Array.from({ length: rows * dim }, (_, i) => ((i % dim) + 1) * Math.sin(i) + (i % dim));
  layer.adapt(values, rows);
  const { mean, variance } = layer.statistics();
  for (const j of [0, 1, dim - 1]) {
    const column = Array.from({ length: rows }, (_, r) => values[r * dim + j]!);
    const m = column.reduce((a, b) => a + b, 0) / rows;
    const v = column.reduce((a, b) => a + (b - m) ** 2, 0) / rows;
    assert.ok(Math.abs(mean[j]! - m) <= 1e-5 * Math.max(1, Math.abs(m)), `mean[${j}]`);
    assert.ok(Math.abs(variance[j]! - v) <= 1e-4 * Math.max(1, v), `variance[${j}]`);
  }
  const out = layer.apply(tf.tensor2d(values, [rows, dim])) as tf.Tensor;
  const moments = tf.moments(out, 0);
  assert.ok(tf.max(tf.abs(moments.mean)).dataSync()[0]! < 1e-4);
  assert.ok(tf.max(tf.abs(tf.sub(moments.variance, 1))).dataSync()[0]! < 1e-3);
  assert.equal(layer.trainableWeights.length, 0, 'statistics are not trained');
});

test('joined, normalised classifier: ONNX Runtime equals tfjs; a checkpoint restores the statistics', async () => {
  const def = define({ joinLayers: TAPS, normalize: true });
  const built = await build(def);
  const layer = normalization(built.classifier);
  const dim = layer.statistics().mean.length;
  layer.adapt(
    Float32Array.from({ length: 4 * dim }, (_, i) => (i % 11) * 0.3 + (i % dim) * 0.01),
    4,
  );
  const raw = tf.randomUniform([4, 32, 32, 3], 0, 255, 'float32', 11);
  const want = tf.tidy(() => built.classifier.predict(raw) as tf.Tensor);
  const [got] = await runOnnx(built.classifier, raw);
  const { diff, scale } = compare(got!.data, want.dataSync());
  assert.ok(diff <= 1e-4 * scale, `probabilities: ${diff} of ${scale}`);

  const runDir = await mkdtemp(join(tmpdir(), 'tl-joined-ckpt-'));
  await saveCheckpoint(runDir, built.classifier, initialTrainState(42));
  const fresh = await build(def);
  await loadCheckpoint(join(runDir, 'checkpoints'), fresh.classifier, tf.train.adam());
  assert.deepEqual(normalization(fresh.classifier).statistics(), layer.statistics());
  const again = tf.tidy(() => fresh.classifier.predict(raw) as tf.Tensor);
  assert.ok(tf.max(tf.abs(tf.sub(again, want))).dataSync()[0]! < 1e-6);
});

test('the cache key covers the joined layers, and not the normalisation (done after the cache)', async () => {
  const plain = define();
  const key = async (def: ExperimentDefinition) => (await features(def, await build(def))).entry.key;
  const keys = [
    await key(plain),
    await key(define({ joinLayers: TAPS })),
    await key(define({ joinLayers: TAPS.slice(1) })),
  ];
  assert.equal(new Set(keys).size, 3, keys.join(' '));
  assert.equal(await key(define({ joinLayers: TAPS, normalize: true })), keys[1]);
});

test('joinLayers, normalize: a frozen base, pooling, cached features, known layers; errors name it', async () => {
  const bad =
    (head: Record<string, unknown>, model: Record<string, unknown> = {}, more: Record<string, unknown> = {}) =>
    () =>
      resolveInlineDefinition(
        {
          extends: 'mobilenetv2-frozen',
          model: { alpha: 0.35, weights: 'none', inputSize: 32, head: { pooling: 'avg', ...head }, ...model },
          ...more,
        },
        {},
      );
  assert.throws(bad({ joinLayers: TAPS }, { freeze: 'none' }), /model\.head\.joinLayers.*frozen base/);
  assert.throws(bad({ normalize: true }, { freeze: { last: 3 } }), /model\.head\.normalize.*frozen base/);
  assert.throws(bad({ joinLayers: TAPS, pooling: 'flatten' }), /model\.head\.joinLayers.*avg or max/);
  assert.throws(bad({ joinLayers: [TAPS[0], TAPS[0]] }), /model\.head\.joinLayers.*differ/);
  assert.throws(
    bad({ normalize: true }, {}, { train: { featureCache: 'off' } }),
    /model\.head\.normalize.*featureCache/,
  );
  await assert.rejects(
    build(define({ joinLayers: ['block_99_relu'] })),
    /model\.head\.joinLayers: .* no layer "block_99_relu"/,
  );
});
