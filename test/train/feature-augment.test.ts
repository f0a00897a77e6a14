// Feature-level augmentation, test-time flips and joined multi-resolution features on a tiny random
// MobileNetV2 at 32 px: cache keys, mirrored features, TTA averaging, joined dimensions.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backends/index.ts';
import { resolveInlineDefinition } from '../../src/experiment/load.ts';
import type { ExperimentDefinition } from '../../src/experiment/definition.ts';
import { createExtractor, disposeExtractor, extractSplit } from '../../src/train/base-features.ts';
import { cachedFeatures } from '../../src/train/feature-cache.ts';
import { featureModels } from '../../src/train/feature-models.ts';
import { splitViews, viewOf } from '../../src/train/feature-views.ts';
import { averageViews, evaluate } from '../../src/train/evaluate.ts';
import type { BatchSource } from '../../src/train/inputs.ts';
import { buildJoinedClassifier } from '../../src/train/joined-classifier.ts';
import { buildRunModel, type RunModel } from '../../src/train/model-setup.ts';
import { installStopSignal } from '../../src/train/signals.ts';
import type { ImageSet } from '../../src/data/index.ts';
import { sharedModelsDir } from '../helpers/shared.ts';

let cacheDir: string;
let built: RunModel;

const define = (overrides: Record<string, unknown> = {}): ExperimentDefinition =>
  resolveInlineDefinition(
    {
      extends: 'mobilenetv2-frozen',
      model: { alpha: 0.35, weights: 'none', inputSize: 32 },
      data: { trainPerClass: 2, validationSize: 0, testPerClass: 1 },
      ...overrides,
    },
    {},
  ).definition;

const imageSet = (count: number, salt = 0): ImageSet => ({
  images: Uint8Array.from({ length: count * 3072 }, (_, i) => (i * 7 + salt + ((i * i) % 13)) % 256),
  labels: Uint8Array.from({ length: count }, (_, i) => i % 10),
  count,
});

before(async () => {
  await selectBackend('wasm', { quiet: true });
  cacheDir = await mkdtemp(join(tmpdir(), 'tl-feature-augment-'));
  built = await buildRunModel(define(), { weightsDir: cacheDir, modelsDir: cacheDir, download: false });
});

/** The features (and cache entry) of a tiny train/test pair for `def`, the base always the same random one. */
async function features(def: ExperimentDefinition, model: RunModel = built) {
  const data = { train: imageSet(6), validation: null, test: imageSet(4, 99), files: { a: 1 } };
  return cachedFeatures({
    def,
    built: model,
    models: featureModels(model.classifier, def.model),
    data,
    numClasses: 10,
    cacheDir,
    stop: installStopSignal({ handleProcessSignals: false }),
    heartbeat: () => {},
    log: () => {},
  });
}

const joined = (def: ExperimentDefinition): RunModel => ({
  ...built,
  classifier: buildJoinedClassifier(built.base, def.model, 10),
});

test('the cache key covers flips, crops, crop copies, test-time flips and input sizes', async () => {
  const variants: [string, ExperimentDefinition][] = [
    ['plain', define()],
    ['flip', define({ data: { trainPerClass: 2, validationSize: 0, testPerClass: 1, augment: { flip: true } } })],
    ['crop', define({ data: { trainPerClass: 2, validationSize: 0, testPerClass: 1, augment: { crop: 2 } } })],
    [
      'crop copies',
      define({ data: { trainPerClass: 2, validationSize: 0, testPerClass: 1, augment: { crop: 2, cropCopies: 2 } } }),
    ],
    ['tta', define({ eval: { tta: 'flip' } })],
  ];
  const keys = new Map<string, string>();
  for (const [name, def] of variants) keys.set(name, (await features(def)).entry.key);
  assert.equal(new Set(keys.values()).size, variants.length, JSON.stringify([...keys]));
  assert.equal((await features(define())).entry.key, keys.get('plain'), 'the same choices, the same key');

  const multi = define({ model: { alpha: 0.35, weights: 'none', inputSize: 32, inputSizes: [32, 48] } });
  const { entry, splits } = await features(multi, joined(multi));
  const [first, second] = entry.key.split('+');
  assert.equal(first, keys.get('plain'), 'the 32-px part of joined features is the single-size entry');
  assert.ok(second && second !== first);
  assert.equal(splits?.get('train')?.dim, 2 * 1280, 'MobileNetV2 pools 1280 features per size');
});

test('cached training copies: the mirror copy equals the features of mirrored images', async () => {
  // The pretrained MobileNet v1 (a random base's features vanish): real features, 64 px.
  const def = resolveInlineDefinition({ extends: 'quickstart', model: { inputSize: 64 } }, {}).definition;
  const where = { weightsDir: cacheDir, modelsDir: sharedModelsDir(), download: false };
  const pretrained = await buildRunModel(def, where);
  const models = featureModels(pretrained.classifier, def.model);
  const extractor = await createExtractor(models.sizes[0]!);
  const set = imageSet(5);
  const request = {
    preprocess: pretrained.preprocessMode,
    numClasses: 10,
    shouldStop: () => false,
    onProgress: () => {},
  };
  try {
    const both = await extractSplit([extractor], {
      ...request,
      set,
      views: [{ kind: 'original' }, { kind: 'mirror' }],
    });
    const mirrored: ImageSet = { ...set, images: new Uint8Array(set.images.length) };
    for (let i = 0; i < set.count; i++)
      for (let y = 0; y < 32; y++)
        for (let x = 0; x < 32; x++)
          for (let c = 0; c < 3; c++)
            mirrored.images[((i * 32 + y) * 32 + x) * 3 + c] = set.images[((i * 32 + y) * 32 + (31 - x)) * 3 + c]!;
    const byHand = await extractSplit([extractor], { ...request, set: mirrored, views: [{ kind: 'original' }] });
    const dim = extractor.dim;
    const mirrorRows = both!.subarray(set.count * dim);
    const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
    const originals = both!.subarray(0, set.count * dim);
    const scale = originals.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    assert.ok(scale > 0.1, `features of real size: ${scale}`);
    assert.ok(maxDiff(mirrorRows, byHand!) < 1e-5 * scale, 'mirror copy vs mirrored images');
    assert.ok(maxDiff(originals, byHand!) > 1e-2 * scale, 'and differs from the originals');
  } finally {
    await disposeExtractor(extractor);
  }
});

test('views: flip adds a mirror, crops are fixed per seed, TTA mirrors validation and test', () => {
  const def = define({
    data: { trainPerClass: 2, validationSize: 0, testPerClass: 1, augment: { flip: true, crop: 2, cropCopies: 2 } },
    eval: { tta: 'flip' },
  });
  const views = splitViews(def);
  assert.deepEqual(
    views.train.map((v) => v.kind),
    ['original', 'mirror', 'crop', 'crop'],
  );
  assert.deepEqual(
    views.evaluation.map((v) => v.kind),
    ['original', 'mirror'],
  );
  const set = imageSet(3);
  assert.deepEqual(viewOf(set, views.train[2]!).images, viewOf(set, views.train[2]!).images, 'same seed, same crops');
  assert.notDeepEqual(viewOf(set, views.train[2]!).images, viewOf(set, views.train[3]!).images);
  assert.deepEqual(splitViews(define()).evaluation, [{ kind: 'original' }]);
});

test('test-time augmentation scores the mean softmax of the views', async () => {
  const probs = tf.tensor2d([
    [0.6, 0.4],
    [0.1, 0.9],
    [0.2, 0.8],
    [0.7, 0.3],
  ]);
  assert.deepEqual(
    (averageViews(probs, 2).arraySync() as number[][]).map((r) => r.map((v) => +v.toFixed(5))),
    [
      [0.4, 0.6],
      [0.4, 0.6],
    ],
  );
  // A softmax over the identity: the model's output is softmax(x). Image 0's original view says class 0,
  // its mirror says class 1 more strongly: averaged, class 1 wins.
  const input = tf.input({ shape: [2] });
  const model = tf.model({ inputs: input, outputs: tf.layers.softmax().apply(input) as tf.SymbolicTensor });
  const logits = [
    [1, 0],
    [0, 3],
    [0, 4],
    [0, 2],
  ]; // rows 0–1: the originals of images 0 and 1; rows 2–3: their mirrors
  const source = (views: number): BatchSource => ({
    count: 2,
    labels: Uint8Array.from([1, 1]),
    async *stream() {
      const x = tf.tensor2d(views === 2 ? logits : logits.slice(0, 2));
      yield {
        x,
        y: tf.oneHot([1, 1], 2).toFloat() as tf.Tensor2D,
        indices: Int32Array.from([0, 1]),
        labels: Uint8Array.from([1, 1]),
        batch: 0,
        views,
      };
    },
  });
  const plain = await evaluate(model, source(1), 2, 8);
  const tta = await evaluate(model, source(2), 2, 8);
  assert.equal(plain?.accuracy, 0.5);
  assert.equal(tta?.accuracy, 1);
  assert.ok(tta!.loss < plain!.loss);
});

test('joined multi-resolution features: dims add up; the classifier is the head on joined features', async () => {
  const def = define({ model: { alpha: 0.35, weights: 'none', inputSize: 32, inputSizes: [32, 64] } });
  const model = joined(def);
  const models = featureModels(model.classifier, def.model);
  assert.deepEqual(
    models.sizes.map((s) => [s.size, s.dim]),
    [
      [32, 1280],
      [64, 1280],
    ],
  );
  assert.equal(models.featureDim, 2560);
  assert.deepEqual(models.head.inputs[0]!.shape, [null, 2560]);
  const x = tf.randomUniform([2, 32, 32, 3], -1, 1);
  const whole = model.classifier.predict(x) as tf.Tensor;
  const parts = models.sizes.map((s) => s.model.predict(x) as tf.Tensor);
  const viaHead = models.head.predict(tf.concat(parts, 1)) as tf.Tensor;
  assert.ok(tf.max(tf.abs(tf.sub(whole, viaHead))).dataSync()[0]! < 1e-5);
});

test('model.inputSizes: includes model.inputSize, needs a frozen base and pooling; names the field', () => {
  const bad = (model: Record<string, unknown>) => () =>
    define({ model: { alpha: 0.35, weights: 'none', inputSize: 32, ...model } });
  assert.throws(bad({ inputSizes: [48, 64] }), /inputSizes.*must include model\.inputSize \(32\)/);
  assert.throws(bad({ inputSizes: [32, 64], freeze: 'none' }), /inputSizes.*frozen base/);
  assert.throws(bad({ inputSizes: [32, 32] }), /inputSizes.*differ/);
  assert.deepEqual(
    define({ model: { alpha: 0.35, weights: 'none', inputSize: 32, inputSizes: [32, 64] } }).model.inputSizes,
    [32, 64],
  );
});
