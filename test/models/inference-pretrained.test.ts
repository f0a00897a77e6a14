import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backends/index.ts';
import { loadBatchFiles, preprocess, resizeBatch } from '../../src/data/index.ts';
import { FreezableBatchNormalization, foldBatchNorm, mobileNetV1Base, useFastRelu6 } from '../../src/models/index.ts';
import { cifarDir, sharedModelsDir } from '../helpers/shared.ts';

before(async () => {
  await selectBackend('wasm');
});

const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

/** tfjs' own ops: minimum(6, relu(x)) and FusedBatchNorm. */
function reference<T>(fn: () => T): T {
  useFastRelu6(false);
  FreezableBatchNormalization.fastInference = false;
  try {
    return fn();
  } finally {
    useFastRelu6(true);
    FreezableBatchNormalization.fastInference = true;
  }
}

test(
  'pretrained MobileNet v1 0.25 @128 on real CIFAR images ' +
    '(wasm): fast ReLU6/BN and the folded model match tfjs ops',
  async () => {
    const base = await mobileNetV1Base({ modelsDir: sharedModelsDir(), download: false, inputSize: 128 });
    const set = await loadBatchFiles([join(cifarDir(), 'test_batch.bin')]);
    const n = 16;
    const x = tf.tidy(() => {
      const raw = tf
        .tensor4d(set.images.subarray(0, n * 32 * 32 * 3), [n, 32, 32, 3], 'int32')
        .toFloat() as tf.Tensor4D;
      return resizeBatch(preprocess(raw, 'tf') as tf.Tensor4D, 128, 'bilinear');
    });
    const want = reference(() => base.predict(x) as tf.Tensor);
    assert.deepEqual(want.shape, [n, 4, 4, 256]);

    // The loaded model's Activation('relu6') layers now run the Relu6 kernel.
    const info = await tf.profile(() => base.predict(x) as tf.Tensor);
    assert.ok(info.kernelNames.includes('Relu6') && !info.kernelNames.includes('Minimum'), info.kernelNames.join(','));
    assert.ok(!info.kernelNames.includes('FusedBatchNorm'), info.kernelNames.join(','));
    const fast = base.predict(x) as tf.Tensor;
    const folded = foldBatchNorm(base);
    assert.deepEqual(folded.summary, {
      fusedConvs: 27,
      foldedBatchNorms: 27,
      foldedActivations: 27,
      standaloneBatchNorms: 0,
      otherLayers: 0,
    });
    const foldedOut = folded.predict(x);
    const foldedInfo = await tf.profile(() => folded.predict(x));
    // Nothing but the fused convolutions (the profile also lists their op wrappers, `…__op`).
    assert.deepEqual(foldedInfo.kernelNames.filter((k) => !k.endsWith('__op')).sort(), [
      'FusedConv2D',
      'FusedDepthwiseConv2D',
    ]);

    // Values reach 6 after 27 float32 layers; the same ops on wasm and cpu differ by ~9e-5 here.
    for (const [name, got] of [
      ['fast', fast],
      ['folded', foldedOut],
    ] as const) {
      const diff = maxAbsDiff(got, want);
      assert.ok(diff < 5e-4, `${name}: max abs diff ${diff}`);
      // The pooled features the feature cache stores.
      const pooled = maxAbsDiff(tf.mean(got, [1, 2]), tf.mean(want, [1, 2]));
      assert.ok(pooled < 1e-4, `${name}: pooled max abs diff ${pooled}`);
    }
    folded.dispose();
  },
);
