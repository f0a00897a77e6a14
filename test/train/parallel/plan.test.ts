import { test } from 'node:test';
import assert from 'node:assert/strict';
import { heapBudget, planMicroBatch, planShares, WASM_HEAP_BYTES } from '../../../src/train/parallel/plan.ts';

/** The micro-batches one process cuts a batch into: [start, size] pairs. */
function singleProcessSplit(batch: number, microBatch: number): [number, number][] {
  const out: [number, number][] = [];
  for (let start = 0; start < batch; start += microBatch) out.push([start, Math.min(microBatch, batch - start)]);
  return out;
}

test('shares are whole micro-batches whose union is the single-process split, in order', () => {
  for (const [batch, micro, workers] of [
    [32, 4, 2],
    [32, 8, 3],
    [7, 2, 2],
    [5, 8, 2],
    [33, 4, 4],
    [3, 1, 5],
  ] as const) {
    const shares = planShares(batch, micro, workers);
    assert.equal(shares.length, workers);
    const pieces = shares.flatMap((s) =>
      singleProcessSplit(s.size, micro).map(([start, size]) => [s.start + start, size]),
    );
    assert.deepEqual(pieces, singleProcessSplit(batch, micro), `batch ${batch}, micro ${micro}, ${workers} workers`);
    let next = 0;
    for (const s of shares) {
      assert.equal(s.firstMicroBatch, next);
      assert.equal(s.microBatches, Math.ceil(s.size / micro));
      next += s.microBatches;
    }
    const counts = shares.map((s) => s.microBatches);
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `balanced: ${counts.join(', ')}`);
  }
  assert.deepEqual(
    planShares(7, 2, 2).map((s) => [s.start, s.size]),
    [
      [0, 4],
      [4, 3],
    ],
  );
  assert.deepEqual(
    planShares(5, 8, 2).map((s) => s.size),
    [0, 5],
    'one micro-batch: one worker idles',
  );
});

test('bad sizes are refused with the argument named', () => {
  assert.throws(() => planShares(0, 2, 2), /batch must be a positive integer/);
  assert.throws(() => planShares(8, 1.5, 2), /microBatch must be a positive integer/);
  assert.throws(() => planShares(8, 2, 0), /workers must be a positive integer/);
});

test("the heap budget counts every worker's own 4 GiB", () => {
  assert.deepEqual(heapBudget(3), {
    perWorkerBytes: WASM_HEAP_BYTES,
    totalBytes: 3 * WASM_HEAP_BYTES,
    concurrentMicroBatches: 3,
  });
  assert.equal(WASM_HEAP_BYTES, 4 * 2 ** 30);
});

test("the micro-batch fits one worker's heap and gives every worker a share", () => {
  assert.equal(planMicroBatch(32, 32, 2), 16, 'MobileNetV2 @32: the whole batch fits, halved for 2 workers');
  assert.equal(planMicroBatch(32, 4, 2), 4, 'DenseNet121 @160: the heap limit stays');
  assert.equal(planMicroBatch(32, 32, 1), 32);
  assert.equal(planMicroBatch(3, 8, 4), 1);
  for (const [batch, fits, workers] of [
    [32, 32, 2],
    [32, 4, 2],
    [30, 16, 4],
    [5, 8, 3],
  ] as const) {
    const shares = planShares(batch, planMicroBatch(batch, fits, workers), workers);
    assert.ok(
      shares.filter((s) => s.size > 0).length === Math.min(workers, batch),
      `${batch}/${fits}/${workers}: every worker busy`,
    );
  }
});
