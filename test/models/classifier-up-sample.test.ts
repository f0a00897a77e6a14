import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { UpSample } from '../../src/models/layers/up-sample.ts';

before(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

function run(mode: 'bilinear' | 'nearest' | 'pad', size: number, x: tf.Tensor4D): number[][] {
  const layer = new UpSample({ size, mode });
  const y = layer.apply(x) as tf.Tensor;
  assert.deepEqual(y.shape, [x.shape[0], size, size, x.shape[3]]);
  return (y.squeeze([0, 3]) as tf.Tensor2D).arraySync();
}

test('bilinear with half-pixel centres: hand-computed values and tf.image.resizeBilinear(halfPixelCenters)', () => {
  // Rows and columns [0, 4] → sample points −0.25, 0.25, 0.75, 1.25 (clamped) → 0, 1, 3, 4.
  const x = tf.tensor4d([0, 4, 0, 4], [1, 2, 2, 1]);
  assert.deepEqual(run('bilinear', 4, x), [
    [0, 1, 3, 4],
    [0, 1, 3, 4],
    [0, 1, 3, 4],
    [0, 1, 3, 4],
  ]);
  const img = tf.randomUniform([2, 5, 5, 3], 0, 255, 'float32', 11) as tf.Tensor4D;
  const ours = new UpSample({ size: 13, mode: 'bilinear' }).apply(img) as tf.Tensor;
  const reference = tf.image.resizeBilinear(img, [13, 13], false, true);
  assert.ok(tf.max(tf.abs(tf.sub(ours, reference))).dataSync()[0]! < 1e-4);
  // Not the legacy corner-aligned resize.
  const legacy = tf.image.resizeBilinear(img, [13, 13], false, false);
  assert.ok(tf.max(tf.abs(tf.sub(ours, legacy))).dataSync()[0]! > 1);
});

test('nearest and centred zero padding', () => {
  const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
  assert.deepEqual(run('nearest', 4, x), [
    [1, 1, 2, 2],
    [1, 1, 2, 2],
    [3, 3, 4, 4],
    [3, 3, 4, 4],
  ]);
  assert.deepEqual(run('pad', 4, x), [
    [0, 0, 0, 0],
    [0, 1, 2, 0],
    [0, 3, 4, 0],
    [0, 0, 0, 0],
  ]);
  assert.deepEqual(run('pad', 5, x), [
    [0, 0, 0, 0, 0],
    [0, 1, 2, 0, 0],
    [0, 3, 4, 0, 0],
    [0, 0, 0, 0, 0],
    [0, 0, 0, 0, 0],
  ]);
});

test('config round trip and bad arguments', () => {
  const layer = new UpSample({ size: 96, mode: 'nearest', name: 'up' });
  const config = layer.getConfig();
  assert.equal(config.size, 96);
  assert.equal(config.mode, 'nearest');
  const copy = UpSample.fromConfig(UpSample, config) as UpSample;
  assert.equal(copy.size, 96);
  assert.equal(copy.mode, 'nearest');
  assert.throws(() => new UpSample({ size: 0 }), /size must be a positive integer/);
  assert.throws(
    () => new UpSample({ size: 64, mode: 'bicubic' as never }),
    /mode must be one of bilinear, nearest, pad/,
  );
  const input = tf.input({ shape: [32, 32, 3] });
  assert.throws(() => new UpSample({ size: 16, mode: 'pad' }).apply(input), /cannot shrink 32 px to 16 px/);
});

test('gradients flow through the resize', () => {
  const x = tf.randomUniform([1, 4, 4, 2], 0, 1, 'float32', 1);
  const layer = new UpSample({ size: 8, mode: 'bilinear' });
  const g = tf.grad((t: tf.Tensor) => tf.sum(layer.apply(t) as tf.Tensor))(x);
  // Every output pixel's interpolation weights sum to 1: the gradients total the output count.
  const values = Array.from(g.dataSync());
  assert.ok(values.every((v) => v > 0));
  assert.ok(Math.abs(values.reduce((a, b) => a + b, 0) - 8 * 8 * 2) < 1e-3);
});
