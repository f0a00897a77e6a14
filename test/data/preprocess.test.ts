import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { preprocess, preprocessTable, resizeBatch, PREPROCESS_MODES } from '../../src/data/index.ts';

await tf.ready();

function close(actual: ArrayLike<number>, expected: number[], tol = 1e-5, what = ''): void {
  assert.equal(actual.length, expected.length, `${what} length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

// Two RGB pixels: (0, 128, 255) and (10, 20, 30).
const pixels = () => tf.tensor4d([0, 128, 255, 10, 20, 30], [1, 1, 2, 3]);

test('torch: x/255, minus ImageNet mean, over ImageNet std (DenseNet)', () => {
  const y = preprocess(pixels(), 'torch');
  close(y.dataSync(), [
    (0 / 255 - 0.485) / 0.229, // -2.117904
    (128 / 255 - 0.456) / 0.224, // 0.205182
    (255 / 255 - 0.406) / 0.225, // 2.64
    (10 / 255 - 0.485) / 0.229,
    (20 / 255 - 0.456) / 0.224,
    (30 / 255 - 0.406) / 0.225,
  ]);
  close(y.dataSync().slice(0, 3), [-2.117904, 0.205182, 2.64], 1e-5, 'literal');
});

test('tf: x/127.5 − 1 (MobileNet, Inception)', () => {
  close(preprocess(pixels(), 'tf').dataSync(), [-1, 128 / 127.5 - 1, 1, -0.9215686, -0.8431373, -0.7647059]);
});

test('caffe: RGB→BGR, minus the BGR ImageNet mean, no scaling (ResNet50)', () => {
  close(
    preprocess(pixels(), 'caffe').dataSync(),
    [255 - 103.939, 128 - 116.779, 0 - 123.68, -73.939, -96.779, -113.68],
    1e-4,
  );
});

test('none: the values unchanged; unknown mode is an error', () => {
  close(preprocess(pixels(), 'none').dataSync(), [0, 128, 255, 10, 20, 30], 0);
  assert.throws(() => preprocess(pixels(), 'imagenet' as never), /unknown preprocessing mode "imagenet"/);
});

test('the uint8 lookup tables are bit-identical to the tensor ops for every byte and channel', () => {
  const ramp = new Float32Array(256 * 3);
  for (let v = 0; v < 256; v++) ramp.fill(v, 3 * v, 3 * v + 3);
  for (const mode of PREPROCESS_MODES) {
    const expected = preprocess(tf.tensor4d(ramp, [1, 16, 16, 3]), mode).dataSync();
    const { values, sourceChannel } = preprocessTable(mode);
    for (let v = 0; v < 256; v++) {
      for (let c = 0; c < 3; c++) {
        // every channel of the ramp holds v, so the source channel only matters for the table layout
        assert.ok(sourceChannel.includes(c));
        assert.equal(values[c * 256 + v], expected[3 * v + c], `${mode} byte ${v} channel ${c}`);
      }
    }
  }
});

test('bilinear resize matches tf.image.resize (half-pixel centres), computed by hand', () => {
  // 1-D: [0, 10, 40] to 5 — source coordinate (o + 0.5)·3/5 − 0.5 = −0.2, 0.4, 1, 1.6, 2.2 (clamped)
  const row = resizeBatch(tf.tensor4d([0, 10, 40], [1, 1, 3, 1]), [1, 5], 'bilinear');
  close(row.dataSync(), [0, 4, 10, 28, 40]); // align-corners would give 0, 5, 10, 25, 40; legacy 0, 6, 16, 34, 40
  // 2-D: [[0, 10], [20, 30]] to 4×4 — fractions 0, .25, .75, 1 along each axis: 10·fx + 20·fy
  const f = [0, 0.25, 0.75, 1];
  const grid = resizeBatch(tf.tensor4d([0, 10, 20, 30], [1, 2, 2, 1]), 4, 'bilinear');
  close(
    grid.dataSync(),
    f.flatMap((fy) => f.map((fx) => 10 * fx + 20 * fy)),
  );
  assert.deepEqual(grid.shape, [1, 4, 4, 1]);
});

test('nearest resize uses half-pixel centres; pad centres the image on a zero canvas', () => {
  // floor((o + 0.5)·3/5) = 0, 0, 1, 2, 2
  close(resizeBatch(tf.tensor4d([0, 10, 40], [1, 1, 3, 1]), [1, 5], 'nearest').dataSync(), [0, 0, 10, 40, 40], 0);
  const img = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
  const padded = resizeBatch(img, 5, 'pad');
  // top/left get floor((5 − 2)/2) = 1, bottom/right 2
  close(padded.dataSync(), [0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 3, 4, 0, 0, ...new Array(10).fill(0)], 0);
  assert.throws(() => resizeBatch(img, 1, 'pad'), /pad cannot shrink 2×2 to 1×1/);
});
