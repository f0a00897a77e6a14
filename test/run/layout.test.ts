import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPlausibleRunId, runIdFromPath } from '../../src/run/layout.ts';

test('run ids from paths: traversal shapes are rejected', () => {
  assert.equal(runIdFromPath('/runs/exp/20261128-100000-a', '/runs/'), 'exp/20261128-100000-a');
  assert.equal(runIdFromPath('/runs/xss/%3Cimg%20src%3Dx%3E', '/runs/'), 'xss/<img src=x>');
  for (const bad of [
    '/runs/..%2F..%2Fetc',
    '/runs/../../etc/passwd',
    '/runs/%2e%2e/%2e%2e/etc',
    '/runs/a/%2e%2e',
    '/runs/%2Fetc%2Fpasswd',
    '/runs/a%5C..%5Cb',
    '/runs/a//b',
    '/runs/%E0%A4%A',
    '/runs/a/%00',
  ]) {
    assert.equal(runIdFromPath(bad, '/runs/'), null, bad);
  }
  assert.equal(isPlausibleRunId('C:/x'), false);
  assert.equal(runIdFromPath('/api/runs/a/b/scalars', '/api/runs/', '/scalars'), 'a/b');
});
