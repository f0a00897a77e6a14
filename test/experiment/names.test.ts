import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKEND_PREFERENCES } from '../../src/backends/index.ts';
import { BACKEND_CHOICES } from '../../src/experiment/names.ts';

test('the --backend choices checked before TensorFlow.js loads are the backends module\'s', () => {
  assert.deepEqual([...BACKEND_CHOICES], [...BACKEND_PREFERENCES]);
});
