import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  classCounts,
  imageView,
  loadBatchFiles,
  splitValidation,
  stratifiedSubset,
  type ImageSet,
} from '../../src/data/index.ts';
import { join } from 'node:path';
import { cifarDir } from '../helpers/shared.ts';

const train = await loadBatchFiles([1, 2, 3, 4, 5].map((i) => join(cifarDir(), `data_batch_${i}.bin`)));

function assertFaithful(sub: ImageSet, source: ImageSet): void {
  const sources = sub.sourceIndices;
  assert.ok(sources);
  for (let i = 0; i < sub.count; i += Math.max(1, Math.floor(sub.count / 50))) {
    const src: number = sources[i];
    assert.equal(sub.labels[i], source.labels[src]);
    assert.deepEqual(imageView(sub, i), imageView(source, src));
  }
}

test('stratified subsets hold exactly N per class, faithful copies, no repeats', () => {
  for (const perClass of [1, 25, 500]) {
    const sub = stratifiedSubset(train, perClass, 1);
    assert.equal(sub.count, 10 * perClass);
    assert.deepEqual(classCounts(sub), new Array(10).fill(perClass));
    assert.equal(new Set(sub.sourceIndices).size, sub.count);
    assertFaithful(sub, train);
  }
  assert.throws(() => stratifiedSubset(train, 5001, 1), /asked for 5001 images per class, but class 0 has 5000/);
});

test('subsets: the same seed gives the same images in the same order; another seed does not', () => {
  const a = stratifiedSubset(train, 50, 42);
  const b = stratifiedSubset(train, 50, 42);
  const c = stratifiedSubset(train, 50, 43);
  assert.deepEqual(a.sourceIndices, b.sourceIndices);
  assert.deepEqual(a.images, b.images);
  assert.notDeepEqual(a.sourceIndices, c.sourceIndices);
  // shuffled, not grouped by class: the first 10 images are not all one class
  assert.ok(new Set(a.labels.subarray(0, 10)).size > 1);
});

test('validation hold-out is stratified, disjoint from train, together complete, seeded', () => {
  const { train: rest, validation } = splitValidation(train, 5000, 7);
  assert.equal(validation.count, 5000);
  assert.equal(rest.count, 45_000);
  assert.deepEqual(classCounts(validation), new Array(10).fill(500));
  assert.deepEqual(classCounts(rest), new Array(10).fill(4500));
  const all = new Set([...rest.sourceIndices!, ...validation.sourceIndices!]);
  assert.equal(all.size, 50_000);
  assertFaithful(validation, train);
  assertFaithful(rest, train);

  const again = splitValidation(train, 0.1, 7);
  assert.deepEqual(again.validation.sourceIndices, validation.sourceIndices);
  assert.notDeepEqual(splitValidation(train, 5000, 8).validation.sourceIndices, validation.sourceIndices);
  assert.throws(() => splitValidation(train, 50_000, 1), /validation size must be/);
});

test('splits compose: a subset of 30 per class with 25 held out spreads the remainder by class size', () => {
  const sub = stratifiedSubset(train, 30, 3);
  const { train: rest, validation } = splitValidation(sub, 25, 3);
  const counts = classCounts(validation);
  assert.equal(validation.count, 25);
  assert.ok(counts.every((c) => c === 2 || c === 3));
  assert.equal(rest.count, 275);
  // source indices point into the original training set, through both selections
  assertFaithful(validation, train);
});
