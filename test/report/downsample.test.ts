import { test } from 'node:test';
import assert from 'node:assert/strict';
import { downsample } from '../../src/report/pages/charts/curve-points.ts';

test('thinning a long series for a chart keeps the true first, last, minimum and maximum', () => {
  const values = Array.from(
    { length: 10_000 },
    (_, i) => Math.sin(i / 50) + (i === 4321 ? 9 : 0) - (i === 777 ? 7 : 0),
  );
  const kept = downsample(
    values.map((_, i) => i),
    600,
    (i) => values[i],
  );
  assert.ok(kept.length <= 600 && kept.length > 500, `${kept.length} points`);
  assert.equal(kept[0], 0);
  assert.equal(kept.at(-1), 9999);
  assert.ok(kept.includes(4321), 'the spike is drawn');
  assert.ok(kept.includes(777), 'the dip is drawn');
  assert.deepEqual(
    kept,
    [...kept].sort((a, b) => a - b),
  );
  assert.deepEqual(
    downsample([3, 1, 2], 600, (v) => v),
    [3, 1, 2],
  );
});
