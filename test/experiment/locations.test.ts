import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { resolveLocations } from '../../src/experiment/locations.ts';

test('locations: a flag wins over its TRANSFERLAB_* variable, which wins over the default under the cache', () => {
  const env = {
    TRANSFERLAB_LOGDIR: 'envL',
    TRANSFERLAB_DATA_DIR: 'envD',
    TRANSFERLAB_WEIGHTS_DIR: 'envW',
    TRANSFERLAB_MODELS_DIR: 'envM',
    TRANSFERLAB_CACHE_DIR: '/tmp/tl-cache',
  };
  assert.deepEqual(resolveLocations({ logdir: 'L', dataDir: 'D', weightsDir: 'W', modelsDir: 'M' }, env), {
    logdir: 'L',
    dataDir: resolve('D'),
    weightsDir: resolve('W'),
    modelsDir: resolve('M'),
    cacheDir: '/tmp/tl-cache',
  });
  assert.deepEqual(resolveLocations({}, env), {
    logdir: 'envL',
    dataDir: resolve('envD'),
    weightsDir: resolve('envW'),
    modelsDir: resolve('envM'),
    cacheDir: '/tmp/tl-cache',
  });
  assert.deepEqual(resolveLocations({}, { TRANSFERLAB_CACHE_DIR: '/tmp/tl-cache' }), {
    logdir: 'logs',
    dataDir: join('/tmp/tl-cache', 'datasets'),
    weightsDir: join('/tmp/tl-cache', 'models'),
    modelsDir: join('/tmp/tl-cache', 'models'),
    cacheDir: '/tmp/tl-cache',
  });
});
