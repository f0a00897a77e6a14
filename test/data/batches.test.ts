import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  batches,
  epochOrder,
  imageView,
  loadBatchFiles,
  preprocess,
  resizeBatch,
  stratifiedSubset,
  type Batch,
  type BatchOptions,
  type ImageSet,
} from '../../src/data/index.ts';
import { cifarDir } from '../helpers/shared.ts';

await tf.ready();
const source = await loadBatchFiles([join(cifarDir(), 'data_batch_1.bin')]);
const set = stratifiedSubset(source, 20, 5); // 200 images

interface Seen {
  indices: number[][];
  labels: number[][];
  x: Float32Array[];
  y: Float32Array[];
  shapes: number[][];
  tensorCounts: number[];
}

async function collect(s: ImageSet, opts: BatchOptions, keepX = true): Promise<Seen> {
  const seen: Seen = { indices: [], labels: [], x: [], y: [], shapes: [], tensorCounts: [] };
  for await (const b of batches(s, opts)) {
    seen.indices.push([...b.indices]);
    seen.labels.push([...b.labels]);
    if (keepX) seen.x.push(b.x.dataSync() as Float32Array);
    seen.y.push(b.y.dataSync() as Float32Array);
    seen.shapes.push(b.x.shape);
    tf.dispose([b.x, b.y]);
    seen.tensorCounts.push(tf.memory().numTensors);
  }
  return seen;
}

/** The raw images at `indices` as a float tensor [n, 32, 32, 3]. */
function raw(s: ImageSet, indices: number[]): tf.Tensor4D {
  const data = new Float32Array(indices.length * 3072);
  indices.forEach((src, i) => data.set(imageView(s, src), i * 3072));
  return tf.tensor4d(data, [indices.length, 32, 32, 3]);
}

test('an epoch visits every image once, in batches of the requested size, with one-hot labels', async () => {
  const before = tf.memory().numTensors;
  const seen = await collect(set, { batchSize: 32, seed: 1 });
  assert.deepEqual(seen.shapes, [...new Array(6).fill([32, 32, 32, 3]), [8, 32, 32, 3]]);
  assert.deepEqual(
    seen.indices.flat().sort((a, b) => a - b),
    Array.from({ length: 200 }, (_, i) => i),
  );
  seen.labels.forEach((labels, k) => {
    labels.forEach((label, i) => {
      assert.equal(label, set.labels[seen.indices[k][i]]);
      const row = [...seen.y[k].subarray(i * 10, i * 10 + 10)];
      assert.deepEqual(
        row,
        Array.from({ length: 10 }, (_, c) => (c === label ? 1 : 0)),
      );
    });
  });
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  assert.ok(
    seen.tensorCounts.every((n) => n === seen.tensorCounts[0]),
    `flat: ${seen.tensorCounts}`,
  );
  const dropped = await collect(set, { batchSize: 32, seed: 1, dropRemainder: true }, false);
  assert.equal(dropped.indices.length, 6);
});

test('per-epoch order depends only on (seed, epoch); shuffle off keeps the set order', async () => {
  const a = await collect(set, { batchSize: 50, seed: 3, epoch: 2 }, false);
  const b = await collect(set, { batchSize: 50, seed: 3, epoch: 2 }, false);
  assert.deepEqual(a.indices, b.indices);
  assert.notDeepEqual((await collect(set, { batchSize: 50, seed: 3, epoch: 3 }, false)).indices, a.indices);
  assert.notDeepEqual((await collect(set, { batchSize: 50, seed: 4, epoch: 2 }, false)).indices, a.indices);
  assert.deepEqual(a.indices.flat(), [...epochOrder(200, 3, 2)]);
  assert.deepEqual(
    (await collect(set, { batchSize: 50, shuffle: false }, false)).indices.flat(),
    Array.from({ length: 200 }, (_, i) => i),
  );
});

test('x is the raw image preprocessed exactly like preprocess() on tensors, for each mode', async () => {
  for (const mode of ['torch', 'tf', 'caffe', 'none'] as const) {
    const seen = await collect(set, { batchSize: 64, seed: 9, preprocess: mode, prefetch: 0 });
    const expected = tf.tidy(() => preprocess(raw(set, seen.indices[1]), mode).dataSync());
    assert.deepEqual(seen.x[1], expected, mode);
  }
});

test('resized batches = resize-then-preprocess on tensors (bilinear, nearest), pad in preprocessed units', async () => {
  const bilinear = await collect(set, { batchSize: 16, seed: 2, size: 72, resize: 'bilinear', preprocess: 'torch' });
  assert.deepEqual(bilinear.shapes[0], [16, 72, 72, 3]);
  const expected = tf.tidy(() =>
    preprocess(resizeBatch(raw(set, bilinear.indices[0]), 72, 'bilinear'), 'torch').dataSync(),
  );
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(expected[i] - bilinear.x[0][i]));
  assert.ok(worst < 1e-5, `bilinear differs by ${worst}`);

  const nearest = await collect(set, { batchSize: 16, seed: 2, size: 64, resize: 'nearest', preprocess: 'caffe' });
  const nearestExpected = tf.tidy(() =>
    preprocess(resizeBatch(raw(set, nearest.indices[0]), 64, 'nearest'), 'caffe').dataSync(),
  );
  assert.deepEqual(nearest.x[0], nearestExpected);

  const padded = await collect(set, { batchSize: 16, seed: 2, size: 40, resize: 'pad', preprocess: 'tf' });
  const padExpected = tf.tidy(() => resizeBatch(preprocess(raw(set, padded.indices[0]), 'tf'), 40, 'pad').dataSync());
  assert.deepEqual(padded.x[0], padExpected);
  assert.equal(padded.x[0][0], 0, 'the canvas is 0 after preprocessing');
});

test('augmentation is off by default, seeded, and reproducible from any batch (resume with startBatch)', async () => {
  const plain = await collect(set, { batchSize: 40, seed: 6 });
  const augA = await collect(set, { batchSize: 40, seed: 6, augment: true });
  const augB = await collect(set, { batchSize: 40, seed: 6, augment: true });
  assert.deepEqual(augA.indices, plain.indices, 'augmentation does not change the order');
  assert.deepEqual(augA.x, augB.x);
  assert.notDeepEqual(augA.x[0], plain.x[0]);
  assert.notDeepEqual((await collect(set, { batchSize: 40, seed: 7, augment: true })).x[0], augA.x[0]);

  const resumed = await collect(set, { batchSize: 40, seed: 6, augment: true, startBatch: 3 });
  assert.deepEqual(resumed.indices, augA.indices.slice(3));
  assert.deepEqual(resumed.x, augA.x.slice(3));
  assert.deepEqual((await collect(set, { batchSize: 40, startBatch: 5 })).indices, []);
  await assert.rejects(collect(set, { batchSize: 40, startBatch: 6 }), /startBatch must be in 0\.\.5, got 6/);

  const flipOnly = await collect(set, { batchSize: 200, seed: 6, augment: { flip: true }, shuffle: false });
  const image = (k: number, from: Float32Array) => from.subarray(k * 3072, (k + 1) * 3072);
  let flipped = 0;
  for (let k = 0; k < 200; k++) {
    const orig = imageView(set, k);
    const out = image(k, flipOnly.x[0]);
    const same = out.every((v, i) => v === orig[i]);
    const mirrored = out.every((v, i) => {
      const p = Math.floor(i / 3);
      const [y, x, c] = [Math.floor(p / 32), p % 32, i % 3];
      return v === orig[(y * 32 + 31 - x) * 3 + c];
    });
    assert.ok(same || mirrored, `image ${k} is neither itself nor its mirror`);
    if (!same) flipped++;
  }
  assert.ok(flipped > 60 && flipped < 140, `${flipped} of 200 flipped`);
});

test('prefetch prepares the next batch while the consumer awaits; breaking early leaks nothing', async () => {
  const before = tf.memory().numTensors;
  const iterator = batches(set, { batchSize: 20, seed: 1, prefetch: 2 });
  const first = (await iterator.next()).value as Batch;
  await new Promise((ok) => setTimeout(ok, 20)); // "training"
  // the current batch plus two prepared ahead exist as tensors
  const prepared = (tf.memory().numTensors - before) / 2;
  assert.equal(prepared, 3);
  tf.dispose([first.x, first.y]);
  await iterator.return(undefined);
  assert.equal(tf.memory().numTensors, before);

  for await (const b of batches(set, { batchSize: 20, seed: 1, size: 48 })) {
    tf.dispose([b.x, b.y]);
    if (b.batch === 2) break;
  }
  assert.equal(tf.memory().numTensors, before);
});

test('bad options are one-line errors', async () => {
  await assert.rejects(collect(set, { batchSize: 0 }), /batchSize must be a positive integer, got 0/);
  await assert.rejects(collect(set, { batchSize: 8, size: 0 }), /size must be a positive integer, got 0/);
});
