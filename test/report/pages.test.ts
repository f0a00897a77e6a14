import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensorboardLinks } from '../../src/report/pages/tensorboard-links.ts';
import { parseCompareOptions } from '../../src/report/pages/context.ts';
import { DEFAULT_GROUP_BY } from '../../src/report/metrics/groups.ts';
import { downsample } from '../../src/report/pages/charts/curve-points.ts';
import { compact, duration, pct, si } from '../../src/report/pages/format.ts';

test('TensorBoard deep links select runs, tags and smoothing', () => {
  const links = tensorboardLinks('http://localhost:6006', {
    runIds: ['exp/20261128-1.5', 'b'],
    tags: ['epoch_loss', 'epoch_accuracy'],
    smoothing: 0.6,
  });
  const url = new URL(links.timeseries);
  assert.equal(url.hash, '#timeseries');
  assert.equal(url.searchParams.get('runFilter'), '^(?:exp/20261128-1\\.5|b)(?:/|$)');
  assert.equal(url.searchParams.get('tagFilter'), '^(?:epoch_loss|epoch_accuracy)$');
  assert.equal(url.searchParams.get('smoothing'), '0.6');
  const re = new RegExp(url.searchParams.get('runFilter')!);
  assert.ok(
    re.test('exp/20261128-1.5/train') && re.test('b') && !re.test('bb/train') && !re.test('exp/20261128-115/train'),
  );
  const legacy = new URL(links.scalars);
  assert.ok(legacy.hash.startsWith('#scalars&regexInput='));
  assert.match(decodeURIComponent(legacy.hash), /_smoothingWeight=0\.6/);
  const prefixed = new URL(tensorboardLinks('http://tb.local:7000/prefix/', { runIds: ['a'] }).timeseries);
  assert.equal(prefixed.pathname, '/prefix/');
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

test('options and downsampling', () => {
  assert.deepEqual(parseCompareOptions({ smoothing: '0.9', x: 'wall', threshold: '75', cost: 'hours' }), {
    smoothing: 0.9,
    xAxis: 'wall',
    threshold: 0.75,
    cost: 'hours',
    groupBy: DEFAULT_GROUP_BY,
  });
  assert.deepEqual(parseCompareOptions({ smoothing: '7', x: 'nope', threshold: '-1' }), {
    smoothing: 0.6,
    xAxis: 'step',
    threshold: NaN,
    cost: 'flops',
    groupBy: DEFAULT_GROUP_BY,
  });
  const d = downsample(
    Array.from({ length: 10_000 }, (_, i) => i),
    600,
  );
  assert.equal(d.length, 600);
  assert.equal(d[0], 0);
  assert.equal(d[599], 9999);
});
