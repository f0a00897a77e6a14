import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backends/index.ts';
import { loadBatchFiles, preprocess } from '../../src/data/index.ts';
import { applyFreezing, buildBase, buildClassifier, classifierBase, mobileNetV1Base } from '../../src/models/index.ts';
import { prefixBoundary, trainableSuffix } from '../../src/models/prefix-split.ts';
import { exportOnnx } from '../../src/onnx/index.ts';
import { cifarDir, sharedModelsDir } from '../helpers/shared.ts';
import { compare, runOnnx } from './helpers.ts';
import { seedWeights } from '../helpers/seed-weights.ts';

before(async () => {
  await selectBackend('wasm');
});

async function cifarImages(n: number): Promise<tf.Tensor4D> {
  const set = await loadBatchFiles([join(cifarDir(), 'test_batch.bin')]);
  return tf.tidy(() => tf.tensor4d(set.images.subarray(0, n * 32 * 32 * 3), [n, 32, 32, 3], 'int32').toFloat());
}

// UpSample in each mode → base → head, preprocessing in the graph.
test('pretrained MobileNet v1 classifier: same probabilities and classes on CIFAR', async () => {
  const raw = await cifarImages(16);
  const base = await mobileNetV1Base({ modelsDir: sharedModelsDir(), download: false, inputSize: 96 });
  for (const resize of ['bilinear', 'nearest', 'pad'] as const) {
    const model = buildClassifier(base, {
      inputSize: 96,
      resize,
      numClasses: 10,
      head: { pooling: 'avg', dropout: 0.2, dense: [{ units: 32, activation: 'relu', dropout: 0.5 }] },
    });
    const want = tf.tidy(() => model.predict(preprocess(raw, 'tf')) as tf.Tensor);
    const [got] = await runOnnx(model, raw, { preprocess: 'tf' });
    assert.deepEqual(got!.shape, [16, 10]);
    const { diff, scale } = compare(got!.data, want.dataSync());
    assert.ok(diff <= 1e-4 * scale, `${resize}: max abs diff ${diff} of probabilities up to ${scale}`);
    const classes = tf.tidy(() => Array.from(tf.argMax(tf.tensor2d(got!.data, [16, 10]), 1).dataSync()));
    assert.deepEqual(classes, Array.from(tf.argMax(want, 1).dataSync()), resize);
    // Cut inside the nested base: the pooled features the feature cache stores.
    const [features] = await runOnnx(model, raw, { preprocess: 'tf', outputs: [base.name], pooling: 'avg' });
    const wantFeatures = tf.tidy(() =>
      tf.mean(base.predict(model.getLayer('up_sample').apply(preprocess(raw, 'tf')) as tf.Tensor) as tf.Tensor, [1, 2]),
    );
    const f = compare(features!.data, wantFeatures.dataSync());
    assert.ok(f.diff <= 1e-4 * f.scale, `${resize} features: ${f.diff}`);
    tf.dispose([want, wantFeatures]);
  }
  raw.dispose();
});

// DenseNet121 last 250, MobileNetV2 from block_11_expand_relu.
test('frozen prefixes: boundary outputs on ONNX Runtime equal tfjs, and feed the trainable suffix', async () => {
  const cases = [
    {
      name: 'densenet121' as const,
      policy: { kind: 'last' as const, n: 250 },
      boundary: ['conv4_block5_concat', 'conv4_block6_0_bn'],
    },
    {
      name: 'mobilenetv2' as const,
      policy: { kind: 'from' as const, layer: 'block_11_expand_relu' },
      boundary: ['block_10_project_BN', 'block_11_expand_BN'],
    },
  ];
  for (const c of cases) {
    const base = buildBase({ name: c.name, inputSize: 32 });
    seedWeights(base, 23);
    const freeze = applyFreezing(base, c.policy);
    const boundary = prefixBoundary(base, freeze.firstTrainableIndex!);
    assert.deepEqual(boundary, { outputs: c.boundary, readsInput: false }, c.name);
    const x = tf.randomUniform([2, 32, 32, 3], -2, 2, 'float32', 9) as tf.Tensor4D;
    const prefix = tf.model({
      inputs: base.inputs,
      outputs: boundary.outputs.map((n) => base.getLayer(n).output as tf.SymbolicTensor),
    });
    const want = prefix.predict(x) as tf.Tensor[];
    const got = await runOnnx(base, x, { outputs: boundary.outputs });
    want.forEach((w, i) => {
      assert.deepEqual(got[i]!.shape, w.shape, boundary.outputs[i]);
      const { diff, scale } = compare(got[i]!.data, w.dataSync());
      assert.ok(diff <= 1e-4 * scale, `${c.name} ${boundary.outputs[i]}: ${diff} vs scale ${scale}`);
    });
    // The trainable part on tfjs, fed ONNX Runtime's prefix outputs, computes the base;
    // it trains the base's own weights.
    const suffix = trainableSuffix(base, freeze.firstTrainableIndex!, boundary);
    assert.deepEqual(
      suffix.inputNames,
      boundary.outputs.map((n) => `${n}_out`),
    );
    assert.deepEqual(
      new Set(suffix.trainableWeights.map((w) => w.read().id)),
      new Set(base.trainableWeights.map((w) => w.read().id)),
    );
    const whole = tf.tidy(() => base.predict(x) as tf.Tensor);
    const composed = tf.tidy(() => suffix.predict(got.map((g) => tf.tensor(g.data, g.shape))) as tf.Tensor);
    const s = compare(composed.dataSync(), whole.dataSync());
    assert.ok(
      s.diff <= 1e-4 * s.scale,
      `${c.name}: ONNX prefix + tfjs suffix vs the base: ${s.diff} vs scale ${s.scale}`,
    );
    const prefixValues = got.map((g) => tf.tensor(g.data, g.shape));
    const vars = suffix.trainableWeights.map((w) => w.read() as tf.Variable);
    const { grads } = tf.variableGrads(
      () => tf.mean(suffix.apply(prefixValues, { training: true }) as tf.Tensor) as tf.Scalar,
      vars,
    );
    assert.equal(Object.keys(grads).length, vars.length);
    tf.dispose([...prefixValues, ...Object.values(grads)]);
    assert.doesNotThrow(() => JSON.stringify(base.toJSON(null, false)));
    tf.dispose([whole, composed]);
    // Everything frozen: the boundary is the base's output; nothing frozen: nothing to run.
    assert.deepEqual(prefixBoundary(base, base.layers.length).outputs, [base.outputLayers[0]!.name]);
    assert.deepEqual(prefixBoundary(base, 1), { outputs: [], readsInput: true });
    tf.dispose([x, ...want]);
    base.dispose();
  }
});

test('the export reads the live weights: after a weight change a new export follows it', async () => {
  const base = buildBase({ name: 'mobilenetv2', alpha: 0.35, inputSize: 32 });
  seedWeights(base, 1);
  const model = buildClassifier(base, { inputSize: 32, resize: 'bilinear', numClasses: 3, head: { pooling: 'avg' } });
  const x = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 2);
  const first = exportOnnx(model);
  seedWeights(classifierBase(model), 2);
  const [got] = await runOnnx(model, x);
  const { diff, scale } = compare(got!.data, (model.predict(x) as tf.Tensor).dataSync());
  assert.ok(diff <= 1e-4 * scale, `after the change: ${diff}`);
  assert.notDeepEqual(exportOnnx(model).bytes, first.bytes);
});
