// Bounded memory at the largest input size: a long stretch of the 50,000-image training epoch at 160 px.
// (The full epoch is measured by `npm run bench -- data`; here a few hundred batches keep the test fast.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { batches, batchCount, loadCifar10 } from '../../src/data/index.ts';
import { cifarDir } from '../helpers/shared.ts';

const BATCHES = 200;
const GiB = 2 ** 30;

test(`${BATCHES} batches of 32 at 160 px (augmented, torch): RSS < 2 GiB, tensor count flat, none left`, async () => {
  await tf.ready();
  const { train } = await loadCifar10(cifarDir());
  assert.equal(batchCount(train.count, 32), 1563);
  const before = tf.memory().numTensors;
  const counts: number[] = [];
  let peakRss = 0;
  let images = 0;
  for await (const b of batches(train, {
    batchSize: 32,
    size: 160,
    resize: 'bilinear',
    preprocess: 'torch',
    augment: true,
    seed: 1,
  })) {
    assert.deepEqual(b.x.shape, [32, 160, 160, 3]);
    images += b.x.shape[0];
    tf.dispose([b.x, b.y]);
    counts.push(tf.memory().numTensors);
    if (b.batch % 25 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
    if (b.batch + 1 === BATCHES) break;
  }
  assert.equal(images, BATCHES * 32);
  assert.ok(
    counts.every((n) => n === counts[0]),
    `tensor count changed: ${[...new Set(counts)]}`,
  );
  assert.equal(tf.memory().numTensors, before);
  assert.ok(peakRss < 2 * GiB, `peak RSS ${(peakRss / GiB).toFixed(2)} GiB`);
});
