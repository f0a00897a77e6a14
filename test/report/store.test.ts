import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRuns } from '../../src/report/store/load-runs.ts';
import { RunStore } from '../../src/report/store/run-store.ts';
import { SummaryWriter } from '../../src/tensorboard/index.ts';
import { IDS, makeFixtureLogdir, XSS } from './fixture-logdir.ts';
import { realEventsDir } from '../helpers/shared.ts';
import { TRAIN_SUBRUN } from '../../src/run/layout.ts';

// One fixture logdir and store, changed by the tests in the order they are written.
let logdir: string;
let now = Date.now();
let store: RunStore;

before(async () => {
  logdir = await mkdtemp(join(tmpdir(), 'tl-store-'));
  await makeFixtureLogdir(logdir);
  // Not a run: a stray file at the root.
  await writeFile(join(logdir, 'README.txt'), 'x');
  store = new RunStore(logdir, { minRefreshMs: 0, staleAfterMs: 60 * 60_000, now: () => now });
  await store.refresh();
});
after(() => rm(logdir, { recursive: true, force: true }));

test('store: summaries from run.json', () => {
  const ids = store.summaries().map((s) => s.id);
  assert.deepEqual(ids, Object.values(IDS).sort());

  const dense = store.summary(IDS.densenet)!;
  assert.equal(dense.experiment, 'densenet-full');
  assert.equal(dense.name, 'lr3');
  assert.equal(dense.status, 'success');
  assert.equal(dense.baseModel, 'densenet121');
  assert.equal(dense.freezing, 'fine-tune all');
  assert.equal(dense.inputSize, 96);
  assert.equal(dense.bestValAccuracy, 0.85);
  assert.equal(dense.bestEpoch, 4);
  assert.equal(dense.finalTestAccuracy, 0.84);
  assert.equal(dense.wallSeconds, 3000);
  assert.equal(dense.flops, 4e15);
  assert.equal(dense.accuracyPerPflop, 0.84 / 4);
  assert.equal(dense.accuracyPerDeviceHour, 0.84);
  assert.equal(dense.trainableParams, 2_012_810);
  const interrupted = store.summary(IDS.interrupted)!;
  assert.equal(interrupted.status, 'interrupted');
  assert.equal(interrupted.finalTestAccuracy, null);
  assert.equal(interrupted.quality, 0.6, 'quality falls back to the best validation accuracy');
  assert.equal(interrupted.qualitySource, 'validation');
  assert.equal(interrupted.freezing, 'last 20 trainable');
  assert.equal(store.summary(IDS.xss)!.name, XSS);
  assert.equal(store.summary(IDS.running)!.stale, false);
});

test('store: events read lazily and incrementally', async () => {
  // Events: the run plus train/ and validation/ sub-runs, keyed the way TensorBoard names them.
  const events = (await store.events(IDS.densenet))!;
  assert.deepEqual(
    events
      .scalars('validation/epoch_accuracy')
      .map((p) => p.value)
      .map((v) => Math.round(v * 100)),
    [50, 65, 78, 83, 85],
  );
  assert.equal(events.scalars('train/batch_loss').length, 50);
  assert.ok(events.scalarKeys().includes('test/per_class_accuracy/cat'));
  assert.deepEqual(events.imageKeys(), ['confusion_matrix', 'sample_predictions']);

  // Append to the live run: the next read returns the new points (from the stored offset).
  const live = (await store.events(IDS.running))!;
  const before = live.scalars('train/batch_loss').length;
  const w = await SummaryWriter.create(join(logdir, ...IDS.running.split('/'), TRAIN_SUBRUN));
  w.scalar('batch_loss', 0.123, 10_000);
  await w.close();
  const after = (await store.events(IDS.running))!;
  assert.equal(after, live, 'the same reader is kept');
  assert.equal(after.scalars('train/batch_loss').length, before + 1);
  assert.equal(after.scalars('train/batch_loss').at(-1)!.value.toFixed(3), '0.123');
});

test('loadRuns: the known runs in the order asked, each with its events', async () => {
  const runs = await loadRuns(store, [IDS.mobilenet, 'nope/x', IDS.densenet]);
  assert.deepEqual(
    runs.map((r) => r.summary.id),
    [IDS.mobilenet, IDS.densenet],
  );
  assert.equal(runs[1].record.id, IDS.densenet);
  assert.equal(runs[1].events!.scalars('validation/epoch_accuracy').length, 5);
});

test('store: a refresh picks up rewritten, quiet, broken and removed runs', async () => {
  // run.json rewritten (epoch finished): re-read on the next refresh; version moves on.
  const file = join(logdir, ...IDS.running.split('/'), 'run.json');
  const record = JSON.parse(await readFile(file, 'utf8'));
  record.epochs.completed = 2;
  record.best.valAccuracy = 0.55;
  await writeFile(file, JSON.stringify(record));
  const version = store.version;
  await store.refresh();
  assert.ok(store.version > version);
  assert.equal(store.summary(IDS.running)!.bestValAccuracy, 0.55);
  assert.equal(store.summary(IDS.running)!.epochsCompleted, 2);

  // A running run whose files have been quiet for longer than staleAfter is shown as stale.
  now += 2 * 60 * 60_000;
  await store.refresh();
  assert.equal(store.summary(IDS.running)!.stale, true);

  // A broken run.json still lists the run, with a warning naming the file.
  await writeFile(join(logdir, ...IDS.inception.split('/'), 'run.json'), '{"status": 7, "experiment": "inception"}');
  await store.refresh();
  const broken = store.summary(IDS.inception)!;
  assert.equal(broken.status, 'unknown');
  assert.match(broken.warnings[0], /inception\/20261128-150000\/run\.json: field status/);

  // A removed run disappears.
  await rm(join(logdir, ...IDS.mobilenet.split('/')), { recursive: true });
  await store.refresh();
  assert.equal(store.has(IDS.mobilenet), false);
});

test('store: plain TensorBoard runs (no run.json) are summarized from their event files', async () => {
  const logdir = realEventsDir();
  const store = new RunStore(logdir, { minRefreshMs: 0 });
  await store.refresh();
  const ids = store.summaries().map((s) => s.id);
  assert.ok(
    ids.includes('huangyuan3h_StockData/logs/fit/20220213-124139'),
    'Keras fit run with train/ and validation/',
  );
  assert.ok(ids.includes('jaineil_BEproject/test/modelfile/logboard'), 'run with a train/ directory only');
  assert.ok(
    !ids.includes('sersery35_KAGGLE-nlp-with-disaster-tweets/logs/hyperparameter_tuning'),
    'an HParams experiment summary alone is not a run',
  );
  const tuned = ids.filter((id) => id.includes('hyperparameter_tuning/run='));
  assert.equal(tuned.length, 2);
  const s = store.summary(tuned[0])!;
  assert.equal(s.status, 'unknown');
  assert.equal(s.epochsCompleted, 3);
  const events = (await store.events(tuned[0]))!;
  const val = events.scalars('validation/epoch_accuracy');
  assert.equal(s.bestValAccuracy, Math.max(...val.map((p) => p.value)));
  // HParams become the definition, so the compare page diffs them.
  const defs = tuned.map((id) => store.record(id)!.definition as { hparams: Record<string, unknown> });
  assert.deepEqual(defs.map((d) => d.hparams.hidden_unit).sort(), [16, 8]);
  const fit = store.summary('huangyuan3h_StockData/logs/fit/20220213-124139')!;
  assert.equal(
    fit.epochsCompleted,
    new Set((await store.events(fit.id))!.scalars('train/epoch_loss').map((p) => p.step)).size,
    'one history entry per epoch',
  );
  assert.ok(fit.wallSeconds! > 0);
});
