// What `npm run experiment` prints: a tiny real run with stderr piped (not a TTY: plain lines) shows
// feature extraction, validation and the test set with their ETAs and the epoch's train + validation
// time; --dry-run says the whole cost and whether the weights are on this machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { resolveInlineDefinition } from '../../src/experiment/load.ts';
import { weightsStatus } from '../../src/train/weights-status.ts';
import { cifarDir, repoRoot, sharedModelsDir } from '../helpers/shared.ts';

const tempDir = (prefix: string) => mkdtemp(join(tmpdir(), prefix));

async function experimentCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/experiment.ts', ...args], {
    cwd: repoRoot,
    env: {
      ...process.env,
      TRANSFERLAB_DATA_DIR: cifarDir(),
      TRANSFERLAB_MODELS_DIR: sharedModelsDir(),
      TRANSFERLAB_CACHE_DIR: await tempDir('tl-out-cache-'),
      ...env,
    },
    encoding: 'utf8',
    timeout: 240_000,
  });
}

// quickstart on the pretrained MobileNet's cached features (and their mirror copies) of 50 images.
const TINY = [
  'data.trainPerClass=5',
  'data.validationSize=30',
  'data.testPerClass=3',
  'data.augment.flip=true',
  'model.inputSize=32',
  'train.batchSize=8',
  'train.epochs=1',
];
const sets = (xs: string[]) => xs.flatMap((x) => ['--set', x]);

test('piped stderr: lines with ETAs for features, validation, the test set; the epoch has both times', async () => {
  const logdir = await tempDir('tl-out-logs-');
  const run = await experimentCli(['quickstart', '--backend', 'wasm', '--logdir', logdir, ...sets(TINY)]);
  assert.equal(run.status, 0, run.stderr);
  const lines = run.stderr.split('\n');
  const has = (pattern: RegExp) =>
    assert.ok(
      lines.some((l) => pattern.test(l)),
      `${pattern} in:\n${run.stderr}`,
    );
  const counted = (label: string, n: number) => new RegExp(`^${label}: ${n}/${n} images · \\d+ img/s · ETA 0 s$`);
  has(counted('features train 32 px, 2 copies each', 100));
  // quickstart's test-time flips: each validation and test image is extracted mirrored too.
  has(counted('features validation 32 px, 2 copies each', 60));
  has(counted('features test 32 px, 2 copies each', 60));
  has(counted('epoch 1/1 validation', 30));
  has(counted('test set', 30));
  has(/^epoch 1\/1 batch 1\/13 · loss [\d.]+ · acc [\d.]+ · [\d.]+ img\/s · ETA (\d+ s|-)$/);
  has(
    /^epoch 1\/1: loss [\d.]+ · acc [\d.]+ · val_loss [\d.]+ · val_acc [\d.]+ · [\d.]+ img\/s · train [\d.]+ s \+ validation [\d.]+ s$/,
  );
  has(/^test: loss [\d.]+ · accuracy [\d.]+ % · [\d.]+ s$/);
  const order = ['features train', 'epoch 1/1 batch 1/', 'epoch 1/1 validation:', 'epoch 1/1:', 'test set:', 'test:'];
  const at = order.map((prefix) => lines.findIndex((l) => l.startsWith(prefix)));
  assert.deepEqual(
    [...at].sort((a, b) => a - b),
    at,
    `phases in order: ${order.join(' → ')}`,
  );
});

test('--dry-run: the total compute and time, and where the weights are', async () => {
  const found = await experimentCli(['quickstart', '--dry-run', '--backend', 'wasm', ...sets(TINY)]);
  assert.equal(found.status, 0, found.stderr);
  assert.match(
    found.stdout,
    /\ntotal: [\d.]+ [GTP]FLOPs of compute \(feature extraction once, the head's training, validation and test\) · about [\d.]+ (s|min|h) on wasm\n/,
  );
  const present = `weights: pretrained:mobilenet_v1_0.25_224 in ${join(sharedModelsDir(), 'mobilenet_v1_0.25_224')}`;
  assert.ok(found.stdout.includes(`\n${present}\n`), found.stdout);

  const empty = await tempDir('tl-out-no-models-');
  const missing = await experimentCli(['quickstart', '--dry-run', '--backend', 'wasm', '--models-dir', empty]);
  assert.equal(missing.status, 0, missing.stderr);
  const line = missing.stdout.split('\n').find((l) => l.startsWith('weights missing: '));
  assert.ok(line, missing.stdout);
  assert.ok(line.includes(`${join(empty, 'mobilenet_v1_0.25_224', 'model.json')} not found`), line);
  assert.ok(line.includes('https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_0.25_224/model.json'), line);
});

test('missing weights: whether the download a run starts with can reach its source', async () => {
  const server = createServer((req, res) => res.writeHead(req.method === 'HEAD' ? 200 : 405).end());
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  const via =
    (p: number): typeof fetch =>
    (_url, init) =>
      fetch(`http://127.0.0.1:${p}/model.json`, init);
  const empty = await tempDir('tl-out-weights-');
  const where = { weightsDir: empty, modelsDir: empty };
  const def = (name: string, model: Record<string, unknown> = {}) =>
    resolveInlineDefinition({ extends: name, model }, {}).definition;
  try {
    const online = await weightsStatus(def('quickstart'), { ...where, fetchImpl: via(port) });
    assert.match(
      online,
      /^weights missing: pretrained model: .*model\.json not found; .*; a run downloads them first from https:/,
    );
    const closed = new Promise((done) => server.close(done));
    server.closeAllConnections();
    await closed;
    const offline = await weightsStatus(def('densenet-frozen'), {
      ...where,
      fetchImpl: via(port),
    });
    assert.match(
      offline,
      /^weights missing: weights: .*densenet121_weights_tf_dim_ordering_tf_kernels_notop\.h5 not found; .* is unreachable from here \(.*ECONNREFUSED.*\): offline, a run would fail$/,
    );
    assert.equal(
      await weightsStatus(def('quickstart', { weights: 'none' }), where),
      'weights: none (random initial weights)',
    );
  } finally {
    if (server.listening) server.close();
  }
});
