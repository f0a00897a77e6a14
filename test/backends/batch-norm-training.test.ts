import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backends/index.ts';
import { batchNormTraining, CHANNEL_DOT_SUMS, CHANNEL_MOMENTS } from '../../src/models/layers/batch-norm-training.ts';
import { randomValues, relativeError } from './helpers.ts';

before(async () => {
  await selectBackend('wasm', { quiet: true });
});

const shape = [3, 5, 4, 6];
const size = shape.reduce((a, b) => a * b);
const xv = randomValues(size, 31).map((v) => v * 3 + 1);
const wv = randomValues(size, 32);
const gv = [1, 2, 0.5, 1.5, -1, 0.3];
const bv = [0, 1, 0, -1, 2, 0.1];

type Result = { loss: number; grads: Float32Array[]; mean: Float32Array; variance: Float32Array };

async function run(backend: string, fused: boolean): Promise<Result> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    let stats: Float32Array[] = [];
    const f = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Scalar => {
      let y: tf.Tensor;
      if (fused) {
        const r = batchNormTraining(x, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3);
        y = r.output;
        stats = [r.mean.dataSync() as Float32Array, r.variance.dataSync() as Float32Array];
      } else {
        const { mean, variance } = tf.moments(x, [0, 1, 2]);
        y = tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-3))), g), b);
        stats = [mean.dataSync() as Float32Array, variance.dataSync() as Float32Array];
      }
      return tf.sum(tf.mul(y, tf.tensor(wv, shape)));
    };
    const { value, grads } = tf.valueAndGrads(f as never)([tf.tensor(xv, shape), tf.tensor(gv), tf.tensor(bv)]);
    return {
      loss: value.dataSync()[0],
      grads: grads.map((t) => t.dataSync() as Float32Array),
      mean: stats[0],
      variance: stats[1],
    };
  });
}

test('batchNormTraining matches autodiff of moments + normalisation (cpu reference) on wasm and cpu', async () => {
  const expected = await run('cpu', false);
  for (const backend of ['wasm', 'cpu']) {
    const actual = await run(backend, true);
    assert.ok(
      Math.abs(actual.loss - expected.loss) <= 1e-4 * Math.abs(expected.loss),
      `${backend}: loss ${actual.loss} vs ${expected.loss}`,
    );
    actual.grads.forEach((g, i) => {
      const err = relativeError(g, expected.grads[i]);
      assert.ok(err < 1e-4, `${backend}: gradient ${i} relative error ${err}`);
    });
    assert.ok(relativeError(actual.mean, expected.mean) < 1e-5, `${backend}: mean`);
    assert.ok(relativeError(actual.variance, expected.variance) < 1e-5, `${backend}: variance`);
  }
});

test('batchNormTraining leaves no tensors behind and records a single tape node', async () => {
  await tf.setBackend('wasm');
  const x = tf.tensor(xv, shape);
  const g = tf.tensor1d(gv);
  const b = tf.tensor1d(bv);
  const before = tf.memory().numTensors;
  const profile = await tf.profile(() =>
    tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(batchNormTraining(t, g, b, 1e-3).output))(x)),
  );
  tf.dispose(profile.result as tf.Tensor);
  assert.equal(tf.memory().numTensors, before);
  assert.ok(
    !profile.kernelNames.includes('FusedBatchNorm') && !profile.kernelNames.includes('Tile'),
    profile.kernelNames.join(', '),
  );
  // On wasm the statistics and the gradient's two sums are one heap pass each.
  assert.ok(
    profile.kernelNames.includes(CHANNEL_MOMENTS) && profile.kernelNames.includes(CHANNEL_DOT_SUMS),
    profile.kernelNames.join(', '),
  );
  assert.ok(!profile.kernelNames.includes('Mean'), profile.kernelNames.join(', '));
  tf.dispose([x, g, b]);
});
