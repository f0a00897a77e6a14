import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tbSmooth } from '../../src/report/metrics/smoothing.ts';
import { definitionDiff, flatten } from '../../src/report/metrics/definition-diff.ts';
import { paretoFront } from '../../src/report/metrics/pareto.ts';
import { epochPoints, firstReach } from '../../src/report/metrics/reach.ts';

const close = (a: number[], b: number[]) => {
  assert.equal(a.length, b.length);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-12, `index ${i}: ${v} vs ${b[i]}`));
};

test('tbSmooth matches TensorBoard debiased EMA computed by hand', () => {
  // weight 0.5: last = 0.5·last + 0.5·v; value = last / (1 − 0.5^n)
  close(tbSmooth([1, 2, 3], 0.5), [1, 1.25 / 0.75, 2.125 / 0.875]);
  // weight 0.6 on [0, 1]: 0 → last=0.4 / (1−0.36)=0.625
  close(tbSmooth([0, 1], 0.6), [0, 0.4 / 0.64]);
  assert.deepEqual(tbSmooth([5, 5, 5], 0.9), [5, 5, 5], 'constant series pass through');
  assert.deepEqual(tbSmooth([1, 2], 0), [1, 2], 'weight 0 is identity');
  const withNaN = tbSmooth([1, NaN, 3], 0.5);
  assert.ok(Number.isNaN(withNaN[1]));
  close([withNaN[0], withNaN[2]], [1, (0.25 + 1.5) / 0.75]);
});

test('definitionDiff keeps only differing dotted keys, across N runs, missing counted', () => {
  const a = {
    model: { base: 'densenet121', inputSize: 96, head: { dense: [{ units: 256 }] } },
    optimizer: { learningRate: 0.001 },
  };
  const b = {
    model: { base: 'densenet121', inputSize: 128, head: { dense: [{ units: 256 }] } },
    optimizer: { learningRate: 0.001 },
  };
  const c = {
    model: { base: 'densenet121', inputSize: 96, head: { dense: [{ units: 256 }] } },
    optimizer: { learningRate: 0.001, momentum: 0.9 },
  };
  assert.deepEqual(flatten(a), {
    'model.base': 'densenet121',
    'model.inputSize': 96,
    'model.head.dense.0.units': 256,
    'optimizer.learningRate': 0.001,
  });
  const { rows, sameCount } = definitionDiff([a, b, c]);
  assert.deepEqual(rows, [
    { key: 'model.inputSize', values: [96, 128, 96] },
    { key: 'optimizer.momentum', values: [undefined, undefined, 0.9] },
  ]);
  assert.equal(sameCount, 3);
});

test('paretoFront: cheaper-and-better dominates; ties kept', () => {
  const front = paretoFront([
    { id: 'cheap', cost: 1, quality: 0.7 },
    { id: 'mid', cost: 2, quality: 0.8 },
    { id: 'dominated', cost: 3, quality: 0.75 },
    { id: 'best', cost: 5, quality: 0.9 },
    { id: 'same-cost-worse', cost: 2, quality: 0.6 },
    { id: 'twin', cost: 2, quality: 0.8 },
    { id: 'nan', cost: NaN, quality: 0.99 },
  ]);
  assert.deepEqual([...front].sort(), ['best', 'cheap', 'mid', 'twin']);
});

test('time- and compute-to-accuracy take the first epoch at or above the threshold', () => {
  const start = Date.parse('2026-11-28T10:00:00Z') / 1000;
  const record = {
    startTime: '2026-11-28T10:00:00Z',
    globalStep: 500,
    epochs: { planned: 5, completed: 5 },
    compute: { flops: 4e15 },
    history: [0.5, 0.65, 0.78, 0.83, 0.85].map((v, e) => ({
      epoch: e,
      step: (e + 1) * 100,
      wallTime: start + 600 * (e + 1),
      valAccuracy: v,
    })),
  };
  const points = epochPoints(record);
  assert.deepEqual(firstReach(points, 0.8, record), { epoch: 3, seconds: 2400, flops: 3.2e15 });
  assert.deepEqual(firstReach(points, 0.78, record), { epoch: 2, seconds: 1800, flops: 2.4e15 });
  assert.equal(firstReach(points, 0.9, record), null);
  // Without history: validation/epoch_accuracy events (step = epoch), compute pro rata of epochs.
  const fromEvents = epochPoints({ startTime: record.startTime }, [
    { step: 0, wallTime: start + 10, value: 0.5 },
    { step: 1, wallTime: start + 20, value: 0.9 },
  ]);
  assert.deepEqual(firstReach(fromEvents, 0.8, { compute: { flops: 1e12 }, epochs: { completed: 2 } }), {
    epoch: 1,
    seconds: 20,
    flops: 1e12,
  });
});
