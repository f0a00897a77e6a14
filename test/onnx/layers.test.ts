import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backends/index.ts';
import { loadBatchFiles, preprocess, PREPROCESS_MODES } from '../../src/data/index.ts';
import { freezableBatchNorm, UpSample } from '../../src/models/index.ts';
import { cifarDir } from '../helpers/shared.ts';
import { compare, runOnnx } from './helpers.ts';
import { seedWeights } from '../helpers/seed-weights.ts';

before(async () => {
  await selectBackend('wasm');
});

type T = tf.SymbolicTensor;
const L = tf.layers;

/** Every layer kind the exporter translates, at odd sizes, with two outputs (one spatial). */
function layerZoo(): tf.LayersModel {
  const input = tf.input({ shape: [17, 17, 3], name: 'pixels' });
  const c1 = L.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'c1' }).apply(
    input,
  ) as T;
  let d1 = L.depthwiseConv2d({
    kernelSize: 3,
    depthMultiplier: 2,
    strides: 2,
    padding: 'same',
    useBias: false,
    name: 'd1',
  }).apply(input) as T;
  d1 = freezableBatchNorm({ name: 'd1_bn', epsilon: 1e-3 }).apply(d1) as T;
  d1 = L.reLU({ maxValue: 3, name: 'd1_relu3' }).apply(d1) as T;
  const cat = L.concatenate({ name: 'cat' }).apply([c1, d1]) as T; // 9×9×14
  let b = freezableBatchNorm({ name: 'cat_bn', epsilon: 1.001e-5 }).apply(cat) as T;
  b = L.leakyReLU({ alpha: 0.2, name: 'leaky' }).apply(b) as T;
  let c2 = L.conv2d({ filters: 14, kernelSize: 3, dilationRate: 2, padding: 'same', useBias: false, name: 'c2' }).apply(
    b,
  ) as T;
  c2 = freezableBatchNorm({ name: 'c2_bn', scale: false }).apply(c2) as T;
  c2 = L.activation({ activation: 'swish', name: 'c2_swish' }).apply(c2) as T;
  const sum = L.add({ name: 'sum' }).apply([b, c2]) as T;
  const c3 = L.conv2d({ filters: 14, kernelSize: [1, 3], padding: 'valid', activation: 'relu6', name: 'c3' }).apply(
    sum,
  ) as T; // 9×7
  const padded = L.zeroPadding2d({
    padding: [
      [1, 0],
      [0, 2],
    ],
    name: 'zp',
  }).apply(c3) as T; // 10×9
  const mp = L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'mp' }).apply(padded) as T; // 5×5
  const ap = L.averagePooling2d({ poolSize: 3, strides: 1, padding: 'same', name: 'ap_same' }).apply(sum) as T;
  const ap2 = L.averagePooling2d({ poolSize: 2, strides: 2, padding: 'valid', name: 'ap_valid' }).apply(ap) as T; // 4×4
  const mul = L.multiply({ name: 'mul' }).apply([
    ap2,
    L.activation({ activation: 'sigmoid', name: 'gate' }).apply(ap2) as T,
  ]) as T;
  const gap = L.globalAveragePooling2d({ name: 'gap' }).apply(mul) as T;
  const gmp = L.globalMaxPooling2d({ name: 'gmp' }).apply(mp) as T;
  const flat = L.flatten({ name: 'flat' }).apply(mp) as T;
  const fromFlat = L.dense({ units: 6, activation: 'tanh', name: 'fc_flat' }).apply(flat) as T;
  const reshaped = L.reshape({ targetShape: [7, 5, 10], name: 'reshape' }).apply(
    L.conv2d({ filters: 14, kernelSize: 1, name: 'c4' }).apply(mp) as T,
  ) as T;
  const rGap = L.globalAveragePooling2d({ name: 'r_gap' }).apply(
    L.conv2d({ filters: 4, kernelSize: 1, activation: 'elu', name: 'c5' }).apply(reshaped) as T,
  ) as T;
  // Zeros padded before pooling are pooled over in Keras (negative inputs here): no −∞ / uncounted padding.
  const zp2 = L.zeroPadding2d({
    padding: [
      [1, 1],
      [2, 0],
    ],
    name: 'zp_pool',
  }).apply(sum) as T;
  const zpMax = L.globalAveragePooling2d({ name: 'zp_max_gap' }).apply(
    L.maxPooling2d({ poolSize: 3, strides: 1, name: 'zp_max' }).apply(zp2) as T,
  ) as T;
  const zpAvg = L.globalMaxPooling2d({ name: 'zp_avg_gmp' }).apply(
    L.averagePooling2d({ poolSize: 3, strides: 2, name: 'zp_avg' }).apply(zp2) as T,
  ) as T;
  // ReLU → pad → valid max pool (DenseNet's, ResNet's stem): the zeros may merge into the pool.
  const reluPad = L.zeroPadding2d({
    padding: [
      [1, 1],
      [1, 1],
    ],
    name: 'relu_zp',
  }).apply(L.reLU({ name: 'sum_relu' }).apply(sum) as T) as T;
  const reluMax = L.globalAveragePooling2d({ name: 'relu_zp_max_gap' }).apply(
    L.maxPooling2d({ poolSize: 3, strides: 2, name: 'relu_zp_max' }).apply(reluPad) as T,
  ) as T;
  const avg = L.average({ name: 'avg' }).apply([gap, gmp]) as T;
  const max = L.maximum({ name: 'max' }).apply([gap, gmp]) as T;
  const min = L.minimum({ name: 'min' }).apply([gap, gmp]) as T;
  let h = L.concatenate({ name: 'features' }).apply([avg, max, min, fromFlat, rGap, zpMax, zpAvg, reluMax]) as T;
  h = freezableBatchNorm({ name: 'head_bn' }).apply(h) as T;
  h = L.dense({ units: 16, activation: 'selu', name: 'fc1' }).apply(h) as T;
  h = L.dropout({ rate: 0.5, name: 'drop' }).apply(h) as T;
  for (const activation of ['softplus', 'softsign', 'hardSigmoid', 'elu'] as const) {
    h = L.dense({ units: 12, activation, name: `fc_${activation}` }).apply(h) as T;
  }
  const logits = L.dense({ units: 5, name: 'logits' }).apply(h) as T;
  const probs = L.softmax({ name: 'probs' }).apply(logits) as T;
  const spatialSoftmax = L.activation({ activation: 'softmax', name: 'spatial_softmax' }).apply(mp) as T;
  return tf.model({ inputs: input, outputs: [probs, spatialSoftmax, sum], name: 'zoo' });
}

// Odd sizes, SAME/VALID, dilation, depth multiplier, folded and standalone BN, three outputs.
test('every translated layer kind matches tfjs', async () => {
  const model = layerZoo();
  seedWeights(model, 3);
  const x = tf.randomUniform([3, 17, 17, 3], -2, 2, 'float32', 11);
  const want = model.predict(x) as tf.Tensor[];
  const got = await runOnnx(model, x);
  assert.equal(got.length, 3);
  want.forEach((w, i) => {
    assert.deepEqual(got[i]!.shape, w.shape, model.outputNames[i]);
    const { diff, scale } = compare(got[i]!.data, w.dataSync());
    assert.ok(diff <= 1e-5 * scale, `${model.outputNames[i]}: max abs diff ${diff}, scale ${scale}`);
  });
});

test('UpSample: bilinear, nearest and pad from 32 px, up and down, equal tfjs (nearest and pad exactly)', async () => {
  const x = tf.randomUniform([2, 32, 32, 3], 0, 255, 'float32', 3);
  for (const mode of ['bilinear', 'nearest', 'pad'] as const) {
    for (const size of mode === 'pad' ? [32, 33, 75, 160] : [20, 32, 48, 75, 107, 160, 224]) {
      const input = tf.input({ shape: [32, 32, 3] });
      const model = tf.model({ inputs: input, outputs: new UpSample({ size, mode }).apply(input) as T });
      const want = model.predict(x) as tf.Tensor;
      const [got] = await runOnnx(model, x);
      assert.deepEqual(got!.shape, want.shape);
      const { diff, scale } = compare(got!.data, want.dataSync());
      // Bilinear weights are computed in a different order: float32 rounding of 0..255 values.
      assert.ok(mode === 'bilinear' ? diff <= 1e-5 * scale : diff === 0, `${mode} → ${size}: max abs diff ${diff}`);
      want.dispose();
    }
  }
});

test('preprocessing in the graph (torch, tf, caffe, none) equals src/data preprocess on CIFAR pixels', async () => {
  const set = await loadBatchFiles([join(cifarDir(), 'test_batch.bin')]);
  const raw = tf.tidy(() => tf.tensor4d(set.images.subarray(0, 4 * 32 * 32 * 3), [4, 32, 32, 3], 'int32').toFloat());
  const input = tf.input({ shape: [32, 32, 3] });
  const model = tf.model({ inputs: input, outputs: L.activation({ activation: 'linear' }).apply(input) as T });
  for (const mode of PREPROCESS_MODES) {
    const want = preprocess(raw, mode);
    const [got] = await runOnnx(model, raw, { preprocess: mode });
    const { diff, scale } = compare(got!.data, want.dataSync());
    assert.ok(diff <= 1e-6 * scale, `${mode}: max abs diff ${diff}`);
    want.dispose();
  }
});
