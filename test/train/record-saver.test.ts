import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { selectBackend } from '../../src/backends/index.ts';
import { cachedFeatures } from '../../src/train/feature-cache.ts';
import { resolveInlineDefinition } from '../../src/experiment/load.ts';
import { buildRunModel } from '../../src/train/model-setup.ts';
import { featureModels } from '../../src/train/feature-models.ts';
import { newRecord, RecordSaver } from '../../src/train/record-saver.ts';
import { runProcessGone, type RunRecord } from '../../src/run/record.ts';
import { installStopSignal } from '../../src/train/signals.ts';

before(async () => {
  await selectBackend('wasm', { quiet: true });
  process.env.TRANSFERLAB_CACHE_DIR ??= await mkdtemp(join(tmpdir(), 'tl-lifecycle-cache-'));
});

const tempRun = () => mkdtemp(join(tmpdir(), 'tl-lifecycle-'));
const onDisk = (dir: string) => JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunRecord;

function record(): RunRecord {
  const { definition } = resolveInlineDefinition({ extends: 'quickstart' }, {});
  return newRecord('quickstart/20261128-120000', 'quickstart', null, definition, ['test'], null);
}

test('RecordSaver: saves land in call order; progress is saved at most once per heartbeat period', async () => {
  const dir = await tempRun();
  let now = 1_000;
  const saver = new RecordSaver(dir, { heartbeatMs: 10_000, now: () => now });
  const writes = Array.from({ length: 20 }, (_, i) => saver.save({ ...record(), globalStep: i }));
  await Promise.all(writes);
  assert.equal(onDisk(dir).globalStep, 19, 'the last save wins, whatever order the writes finish in');

  saver.heartbeat({ phase: 'features', split: 'train', done: 64, total: 1000 });
  await saver.settled();
  assert.equal(onDisk(dir).progress, null, 'within the period of the last save: not written yet');
  now += 10_000;
  saver.heartbeat({ phase: 'features', split: 'train', done: 128, total: 1000 });
  saver.heartbeat({ phase: 'features', split: 'train', done: 192, total: 1000 });
  await saver.settled();
  assert.deepEqual(onDisk(dir).progress, { phase: 'features', split: 'train', done: 128, total: 1000 });
  assert.ok(
    readdirSync(dir).every((f) => !f.endsWith('.tmp')),
    'no temp files left',
  );

  saver.heartbeat(null);
  await saver.settled();
  assert.equal(onDisk(dir).progress?.done, 128, 'the end of a phase is not a save of its own');
  await saver.save(record());
  assert.equal(onDisk(dir).progress, null);
});

test('cached features keep run.json fresh while they are computed', async () => {
  const dir = await tempRun();
  const { definition: def } = resolveInlineDefinition(
    {
      extends: 'mobilenetv2-frozen',
      model: { alpha: 0.35, weights: 'none', inputSize: 32 },
      data: { trainPerClass: 2, validationSize: 0, testPerClass: 1 },
    },
    {},
  );
  const built = await buildRunModel(def, { weightsDir: dir, modelsDir: dir, download: false });
  const set = (count: number) => ({
    images: Uint8Array.from({ length: count * 3072 }, (_, i) => (i * 7) % 256),
    labels: Uint8Array.from({ length: count }, (_, i) => i % 10),
    count,
  });
  const data = { dir, files: {}, train: set(130), validation: null, test: set(10), classNames: [] };
  const saver = new RecordSaver(dir, { heartbeatMs: 0 });
  await saver.save(record());
  const seen: string[] = [];
  const progress: unknown[] = [];
  const { splits, entry } = await cachedFeatures({
    def,
    built,
    models: featureModels(built.classifier, def.model),
    data,
    numClasses: 10,
    cacheDir: process.env.TRANSFERLAB_CACHE_DIR!,
    stop: installStopSignal({ handleProcessSignals: false }),
    log: (line) => seen.push(line),
    heartbeat: (p) => (progress.push(p), saver.heartbeat(p)),
  });
  await saver.settled();
  assert.equal(splits?.get('train')?.count, 130);
  assert.equal(progress.at(-1), null, 'cleared once the phase is over');
  assert.deepEqual(
    onDisk(dir).progress,
    { phase: 'features', split: 'test', done: 10, total: 10 },
    'the last heartbeat on disk',
  );
  assert.ok(
    seen.some((l) => l.startsWith('features train 32 px: 130/130 images')),
    seen.join('\n'),
  );
  assert.deepEqual(entry, { used: true, hit: false, key: entry.key, path: '' }, 'random weights are not kept');
});

test('run.json names the training process; a running run whose process left this host reads as gone', async () => {
  const r = record();
  assert.equal(r.pid, process.pid);
  assert.equal(r.hostname, hostname());
  assert.equal(runProcessGone(r), false, 'this process is alive');
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((done) => child.on('exit', done));
  assert.equal(runProcessGone({ ...r, pid: child.pid! }), true, 'an exited process is gone');
  assert.equal(
    runProcessGone({ ...r, pid: child.pid!, hostname: `${hostname()}-other` }),
    false,
    'another host: unknown',
  );
  assert.equal(runProcessGone({ ...r, pid: child.pid!, status: 'interrupted' }), false, 'only a running record');
  assert.equal(runProcessGone({ status: 'running' }), false, 'older records name no process');
});
