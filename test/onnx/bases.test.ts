import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backends/index.ts';
import { loadBatchFiles, preprocess, resizeBatch } from '../../src/data/index.ts';
import { buildBase, loadPretrainedMobileNetV1, mobileNetV1Base, type BaseName } from '../../src/models/index.ts';
import { cifarDir, sharedModelsDir } from '../helpers/shared.ts';
import { compare, runOnnx } from './helpers.ts';
import { seedWeights } from '../helpers/seed-weights.ts';

before(async () => {
  await selectBackend('wasm');
});

// Pooled features, ONNX Runtime vs the tfjs forward pass: max |Δ| ≤ 1e-4 × max |tfjs feature|.
const TOLERANCE = 1e-4;

async function checkPooled(base: tf.LayersModel, x: tf.Tensor4D, label: string): Promise<void> {
  const want = tf.tidy(() => tf.mean(base.predict(x) as tf.Tensor, [1, 2]));
  const [got] = await runOnnx(base, x, { pooling: 'avg' });
  assert.deepEqual(got!.shape, want.shape, label);
  const { diff, scale } = compare(got!.data, want.dataSync());
  assert.ok(scale > 1e-3, `${label}: features of scale ${scale} compare nothing`);
  assert.ok(diff <= TOLERANCE * scale, `${label}: max abs diff ${diff} > ${TOLERANCE} × feature scale ${scale}`);
  want.dispose();
}

test('pretrained MobileNet v1 0.25, real CIFAR images @96 and @128: ONNX Runtime features = tfjs', async () => {
  const set = await loadBatchFiles([join(cifarDir(), 'test_batch.bin')]);
  const n = 8;
  const raw = tf.tidy(
    () =>
      preprocess(
        tf.tensor4d(set.images.subarray(0, n * 32 * 32 * 3), [n, 32, 32, 3], 'int32').toFloat(),
        'tf',
      ) as tf.Tensor4D,
  );
  for (const size of [96, 128]) {
    const base = await mobileNetV1Base({ modelsDir: sharedModelsDir(), download: false, inputSize: size });
    const x = resizeBatch(raw, size, 'bilinear');
    await checkPooled(base, x, `mobilenetv1 0.25 @${size}`);
    tf.dispose([x]);
    base.dispose();
  }
  raw.dispose();
});

// The head: GAP → Reshape to 1×1 → conv → softmax → Reshape.
test('the whole pretrained MobileNet v1: same ImageNet probabilities and classes', async () => {
  const { model } = await loadPretrainedMobileNetV1({ modelsDir: sharedModelsDir(), download: false, inputSize: 128 });
  const set = await loadBatchFiles([join(cifarDir(), 'test_batch.bin')]);
  const x = tf.tidy(() =>
    resizeBatch(
      preprocess(
        tf.tensor4d(set.images.subarray(0, 4 * 32 * 32 * 3), [4, 32, 32, 3], 'int32').toFloat(),
        'tf',
      ) as tf.Tensor4D,
      128,
      'bilinear',
    ),
  );
  const want = model.predict(x) as tf.Tensor;
  const [got] = await runOnnx(model, x);
  assert.deepEqual(got!.shape, [4, 1000]);
  const { diff, scale } = compare(got!.data, want.dataSync());
  assert.ok(diff <= TOLERANCE * scale, `max abs diff ${diff}, scale ${scale}`);
  const classes = tf.tidy(() => Array.from(tf.argMax(tf.tensor2d(got!.data, [4, 1000]), 1).dataSync()));
  assert.deepEqual(classes, Array.from(tf.argMax(want, 1).dataSync()));
  tf.dispose([x, want]);
  model.dispose();
});

const RANDOM_BASES: { name: BaseName; sizes: [number, number] }[] = [
  // Odd sizes exercise TensorFlow's asymmetric SAME padding and MobileNetV2's correct_pad.
  { name: 'mobilenetv2', sizes: [32, 63] },
  { name: 'densenet121', sizes: [32, 64] },
  { name: 'resnet50', sizes: [32, 64] },
  { name: 'inceptionv3', sizes: [75, 107] },
];

for (const { name, sizes } of RANDOM_BASES) {
  test(`${name} with seeded random weights @${sizes.join(' and @')}: ONNX Runtime features = tfjs`, async () => {
    let weights: tf.Tensor[] | null = null;
    for (const size of sizes) {
      const base = buildBase({ name, inputSize: size });
      // The same seeded weights at both sizes (weight shapes do not depend on the input size).
      if (weights) base.setWeights(weights);
      else {
        seedWeights(base, 17);
        weights = base.getWeights().map((w) => w.clone());
      }
      const x = tf.randomUniform([2, size, size, 3], -2, 2, 'float32', 5) as tf.Tensor4D;
      await checkPooled(base, x, `${name} @${size}`);
      tf.dispose([x]);
      base.dispose();
    }
    tf.dispose(weights!);
  });
}
