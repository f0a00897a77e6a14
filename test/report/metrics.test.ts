import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tbSmooth } from '../../src/report/smoothing.ts';
import { definitionDiff, flatten } from '../../src/report/diff.ts';
import { paretoFront } from '../../src/report/pareto.ts';
import { epochPoints, firstReach } from '../../src/report/reach.ts';
import { parseRunRecord } from '../../src/run/record.ts';
import { toCsv } from '../../src/report/csv.ts';
import { tensorboardLinks } from '../../src/report/tensorboard-link.ts';
import { isPlausibleRunId } from '../../src/run/layout.ts';
import { shortLabels, parseCompareOptions } from '../../src/report/pages.ts';
import { runIdFromPath } from '../../src/run/layout.ts';
import { downsample } from '../../src/report/curves.ts';
import { compact, duration, pct, si } from '../../src/report/format.ts';

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
  const a = { model: { base: 'densenet121', inputSize: 96, head: { dense: [{ units: 256 }] } }, optimizer: { learningRate: 0.001 } };
  const b = { model: { base: 'densenet121', inputSize: 128, head: { dense: [{ units: 256 }] } }, optimizer: { learningRate: 0.001 } };
  const c = { model: { base: 'densenet121', inputSize: 96, head: { dense: [{ units: 256 }] } }, optimizer: { learningRate: 0.001, momentum: 0.9 } };
  assert.deepEqual(flatten(a), { 'model.base': 'densenet121', 'model.inputSize': 96, 'model.head.dense.0.units': 256, 'optimizer.learningRate': 0.001 });
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
    startTime: '2026-11-28T10:00:00Z', globalStep: 500, epochs: { planned: 5, completed: 5 }, compute: { flops: 4e15 },
    history: [0.5, 0.65, 0.78, 0.83, 0.85].map((v, e) => ({ epoch: e, step: (e + 1) * 100, wallTime: start + 600 * (e + 1), valAccuracy: v })),
  };
  const points = epochPoints(record);
  assert.deepEqual(firstReach(points, 0.8, record), { epoch: 3, seconds: 2400, flops: 3.2e15 });
  assert.deepEqual(firstReach(points, 0.78, record), { epoch: 2, seconds: 1800, flops: 2.4e15 });
  assert.equal(firstReach(points, 0.9, record), null);
  // Without history: validation/epoch_accuracy events (step = epoch), compute pro rata of epochs.
  const fromEvents = epochPoints({ startTime: record.startTime }, [{ step: 0, wallTime: start + 10, value: 0.5 }, { step: 1, wallTime: start + 20, value: 0.9 }]);
  assert.deepEqual(firstReach(fromEvents, 0.8, { compute: { flops: 1e12 }, epochs: { completed: 2 } }), { epoch: 1, seconds: 20, flops: 1e12 });
});

test('parseRunRecord drops bad fields with a one-line warning naming file and field', () => {
  const { record, warnings } = parseRunRecord(JSON.stringify({ schemaVersion: 1, id: 'a/b', status: 'bogus', best: { epoch: 'x' }, macsPerImage: 5, extra: 1 }), 'a/b/run.json');
  assert.equal(record.id, 'a/b');
  assert.equal(record.macsPerImage, 5);
  assert.equal(record.status, undefined);
  assert.equal(record.best, undefined);
  assert.equal(warnings.length, 2);
  assert.match(warnings[0], /^a\/b\/run\.json: field status: /);
  assert.match(warnings[1], /^a\/b\/run\.json: field best\.epoch: /);
  assert.match(parseRunRecord('{nope', 'x/run.json').warnings[0], /^x\/run\.json: not valid JSON/);
  assert.match(parseRunRecord('[]', 'x/run.json').warnings[0], /expected a JSON object/);
});

test('CSV escapes quotes, commas, newlines and spreadsheet formulas', () => {
  const csv = toCsv([{ a: 'x,"y"', b: 1.5, c: '=HYPERLINK("evil")', d: null, e: ['t1', 't2'] }], [
    { key: 'a', value: (r) => r.a }, { key: 'b', value: (r) => r.b }, { key: 'c', value: (r) => r.c }, { key: 'd', value: (r) => r.d }, { key: 'e', value: (r) => r.e },
  ]);
  assert.equal(csv, 'a,b,c,d,e\r\n"x,""y""",1.5,"\'=HYPERLINK(""evil"")",,t1 t2\r\n');
});

test('TensorBoard deep links select runs, tags and smoothing', () => {
  const links = tensorboardLinks('http://localhost:6006', { runIds: ['exp/20261128-1.5', 'b'], tags: ['epoch_loss', 'epoch_accuracy'], smoothing: 0.6 });
  const url = new URL(links.timeseries);
  assert.equal(url.hash, '#timeseries');
  assert.equal(url.searchParams.get('runFilter'), '^(?:exp/20261128-1\\.5|b)(?:/|$)');
  assert.equal(url.searchParams.get('tagFilter'), '^(?:epoch_loss|epoch_accuracy)$');
  assert.equal(url.searchParams.get('smoothing'), '0.6');
  const re = new RegExp(url.searchParams.get('runFilter')!);
  assert.ok(re.test('exp/20261128-1.5/train') && re.test('b') && !re.test('bb/train') && !re.test('exp/20261128-115/train'));
  const legacy = new URL(links.scalars);
  assert.ok(legacy.hash.startsWith('#scalars&regexInput='));
  assert.match(decodeURIComponent(legacy.hash), /_smoothingWeight=0\.6/);
  const prefixed = new URL(tensorboardLinks('http://tb.local:7000/prefix/', { runIds: ['a'] }).timeseries);
  assert.equal(prefixed.pathname, '/prefix/');
});

test('run ids from paths: traversal shapes are rejected', () => {
  assert.equal(runIdFromPath('/runs/exp/20261128-100000-a', '/runs/'), 'exp/20261128-100000-a');
  assert.equal(runIdFromPath('/runs/xss/%3Cimg%20src%3Dx%3E', '/runs/'), 'xss/<img src=x>');
  for (const bad of ['/runs/..%2F..%2Fetc', '/runs/../../etc/passwd', '/runs/%2e%2e/%2e%2e/etc', '/runs/a/%2e%2e', '/runs/%2Fetc%2Fpasswd', '/runs/a%5C..%5Cb', '/runs/a//b', '/runs/%E0%A4%A', '/runs/a/%00']) {
    assert.equal(runIdFromPath(bad, '/runs/'), null, bad);
  }
  assert.equal(isPlausibleRunId('C:/x'), false);
  assert.equal(runIdFromPath('/api/runs/a/b/scalars', '/api/runs/', '/scalars'), 'a/b');
});

test('number formats', () => {
  assert.equal(duration(2999.9996), '50 min 0 s');
  assert.equal(duration(59.6), '60 s');
  assert.equal(duration(7260), '2 h 1 min');
  assert.equal(duration(null), '—');
  assert.equal(si(2_012_810), '2.01 M');
  assert.equal(si(3.2e15, 'FLOP'), '3.2 PFLOP');
  assert.equal(compact(104651.552), '105 k');
  assert.equal(compact(0.0875), '0.0875');
  assert.equal(pct(0.8456), '84.6 %');
});

test('labels, options and downsampling', () => {
  assert.deepEqual(shortLabels(['exp/20261128-100000-lr3', 'exp/20261128-110000', 'other/x']), ['exp/lr3', 'exp/11-28 11:00:00', 'other/x']);
  assert.deepEqual(shortLabels(['a/20261128-100000-x', 'a/20261129-100000-x']), ['a/20261128-100000-x', 'a/20261129-100000-x']);
  const long = shortLabels(['kaggle/logs/tuning/run=0__lr=0.1__hidden_unit=8__optimizer=adam_and_more', 'kaggle/logs/tuning/run=0__lr=0.001__hidden_unit=16__optimizer=adam_and_more']);
  assert.deepEqual(long.map((l) => l.length), [48, 48]);
  assert.ok(long[0].startsWith('tuning/run=0__lr=0') && long[0].includes('…') && long[0].endsWith('izer=adam_and_more'));
  assert.notEqual(long[0], long[1]);
  assert.deepEqual(parseCompareOptions({ smoothing: '0.9', x: 'wall', threshold: '75', cost: 'hours' }), { smoothing: 0.9, xAxis: 'wall', threshold: 0.75, cost: 'hours' });
  assert.deepEqual(parseCompareOptions({ smoothing: '7', x: 'nope', threshold: '-1' }), { smoothing: 0.6, xAxis: 'step', threshold: 0.8, cost: 'flops' });
  const d = downsample(Array.from({ length: 10_000 }, (_, i) => i), 600);
  assert.equal(d.length, 600);
  assert.equal(d[0], 0);
  assert.equal(d[599], 9999);
});
