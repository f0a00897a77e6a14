import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunReader } from '../../src/tensorboard/index.ts';
import { runExperiment } from '../../src/train/run-experiment.ts';
import type { RunRecord } from '../../src/run/record.ts';
import { installStopSignal } from '../../src/train/signals.ts';
import { cifarDir, sharedModelsDir } from '../helpers/shared.ts';
import { sessionEndFiles } from '../helpers/session-ends.ts';
import { TRAIN_SUBRUN, VALIDATION_SUBRUN } from '../../src/run/layout.ts';

// quickstart on a small stratified subset: the real pretrained MobileNet v1 0.25, cached features.
const TINY = [
  'data.trainPerClass=5',
  'data.validationSize=30',
  'data.testPerClass=3',
  'model.inputSize=64',
  'train.batchSize=8',
  'train.logEveryBatches=1',
];
const STEPS_PER_EPOCH = 7; // 50 images / 8

let logdir: string;
before(async () => {
  logdir = await mkdtemp(join(tmpdir(), 'tl-runs-'));
  process.env.TRANSFERLAB_CACHE_DIR = await mkdtemp(join(tmpdir(), 'tl-cache-'));
});

const common = () => ({
  logdir,
  dataDir: cifarDir(),
  modelsDir: sharedModelsDir(),
  backend: 'wasm' as const,
  progress: 'none' as const,
  download: false,
  log: () => {},
});

async function read(dir: string): Promise<RunReader> {
  const reader = new RunReader(dir);
  await reader.update();
  assert.deepEqual(reader.warnings, [], `event files in ${dir} read cleanly`);
  return reader;
}

const steps = (reader: RunReader, tag: string): number[] => reader.scalars(tag).map((p) => p.step);

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('quickstart end to end: event files, run.json, HParams session, feature cache', async () => {
  const { runDir, record } = await runExperiment('quickstart', {
    ...common(),
    overrides: [...TINY, 'train.epochs=2'],
    name: 'ci',
    tags: ['ci'],
  });
  assert.match(record.id, /^quickstart\/\d{8}-\d{6}-ci$/);
  assert.equal(runDir, join(logdir, record.id));
  assert.equal(record.status, 'success');

  const onDisk = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as RunRecord;
  assert.deepEqual(onDisk, JSON.parse(JSON.stringify(record)));
  assert.equal(onDisk.schemaVersion, 1);
  assert.equal(onDisk.experiment, 'quickstart');
  assert.equal(onDisk.definition.model.inputSize, 64);
  assert.deepEqual(onDisk.tags, ['quickstart', 'frozen', 'mobilenetv1', 'ci']);
  assert.ok(onDisk.git === null || /^[0-9a-f]{40}$/.test(onDisk.git.commit));
  assert.equal(onDisk.backend?.name, 'wasm');
  assert.ok(onDisk.hardware.cpus >= 1 && onDisk.hardware.memoryBytes > 0);
  assert.equal(onDisk.params?.base.trainable, 0);
  assert.equal(onDisk.params?.base.total, 218_544, 'MobileNet v1 0.25 cut at conv_pw_13_relu');
  assert.equal(onDisk.params?.model.trainable, 256 * 256 + 256 + 256 * 10 + 10);
  assert.ok((onDisk.macsPerImage ?? 0) > (onDisk.baseMacsPerImage ?? 0));
  assert.ok(onDisk.endTime && Date.parse(onDisk.endTime) >= Date.parse(onDisk.startTime ?? ''));
  for (const phase of ['data', 'model', 'features', 'train', 'evaluate'] as const)
    assert.ok(onDisk.phases[phase] > 0, phase);
  assert.deepEqual(onDisk.epochs, { planned: 2, completed: 2 });
  assert.equal(onDisk.globalStep, 2 * STEPS_PER_EPOCH);
  assert.equal(onDisk.history.length, 2);
  assert.ok(onDisk.best && onDisk.best.epoch >= 0);
  assert.ok(onDisk.final && onDisk.final.testAccuracy >= 0 && onDisk.final.testAccuracy <= 1);
  assert.equal(Object.keys(onDisk.perClassAccuracy ?? {}).length, 10);
  assert.equal(onDisk.dataset?.train, 50);
  assert.equal(onDisk.dataset?.validation, 30);
  assert.equal(onDisk.dataset?.test, 30);
  assert.equal(onDisk.compute.trainImages, 100);
  assert.ok(onDisk.compute.flops > 0);
  assert.equal(onDisk.featureCache?.used, true);
  assert.equal(onDisk.featureCache?.hit, false);
  assert.ok(existsSync(join(onDisk.featureCache!.path, 'meta.json')));
  assert.ok(existsSync(join(runDir, 'checkpoints', 'weights.bin')));

  const train = await read(join(runDir, TRAIN_SUBRUN));
  assert.deepEqual(steps(train, 'batch_loss'), range(1, 2 * STEPS_PER_EPOCH));
  assert.deepEqual(steps(train, 'batch_accuracy'), range(1, 2 * STEPS_PER_EPOCH));
  for (const tag of [
    'epoch_loss',
    'epoch_accuracy',
    'epoch_learning_rate',
    'epoch_images_per_second',
    'epoch_time_seconds',
  ]) {
    assert.deepEqual(steps(train, tag), [0, 1], tag);
  }
  assert.equal(train.scalars('epoch_loss')[1]!.value.toFixed(5), onDisk.history[1]!.trainLoss.toFixed(5));
  const validation = await read(join(runDir, VALIDATION_SUBRUN));
  assert.deepEqual(steps(validation, 'epoch_accuracy'), [0, 1]);
  assert.deepEqual(steps(validation, 'epoch_loss'), [0, 1]);
  assert.deepEqual(steps(validation, 'evaluation_loss_vs_iterations'), [STEPS_PER_EPOCH, 2 * STEPS_PER_EPOCH]);
  assert.deepEqual(steps(validation, 'evaluation_accuracy_vs_iterations'), [STEPS_PER_EPOCH, 2 * STEPS_PER_EPOCH]);

  const root = await read(runDir);
  assert.equal(root.scalars('test/accuracy')[0]!.value.toFixed(5), onDisk.final!.testAccuracy.toFixed(5));
  assert.equal(root.scalars('test/per_class_accuracy/truck').length, 1);
  const [cm] = root.images('confusion_matrix');
  assert.ok(cm && cm.width > 100 && cm.png[1] === 0x50, 'a PNG confusion matrix');
  assert.ok(root.images('sample_predictions').length === 1);
  assert.match(root.texts('definition')[0]!.text, /```json/);
  const hp = root.hparams();
  assert.equal(hp.sessionStart?.hparams.base, 'mobilenetv1');
  assert.equal(hp.sessionStart?.hparams.input_size, 64);
  assert.equal(hp.sessionEnd?.status, 'success');
  assert.equal(sessionEndFiles(runDir).length, 1, 'one session end');
  assert.equal(onDisk.hparamsSessionEndFile, null);
  assert.equal(onDisk.progress, null, 'no phase in progress once the run is over');

  const top = await read(logdir);
  const experiment = top.hparams().experiment;
  assert.ok(experiment, 'the _hparams_/experiment summary at the log root');
  assert.ok(experiment.hparams.some((h) => h.name === 'learning_rate'));
  assert.ok(experiment.metrics.some((m) => m.tag === 'test/accuracy'));

  // Same data, model and preprocessing: the second run reads the features from the cache.
  const again = await runExperiment('quickstart', {
    ...common(),
    overrides: [...TINY, 'train.epochs=1', 'optimizer.learningRate=0.01'],
  });
  assert.equal(again.record.featureCache?.hit, true);
  assert.equal(again.record.featureCache?.key, onDisk.featureCache?.key);
  assert.equal(again.record.status, 'success');
  const union = (await read(logdir)).hparams().experiment!.hparams.find((h) => h.name === 'learning_rate');
  assert.deepEqual(union?.domain, { discrete: [0.001, 0.01] }, 'the experiment summary is the union over runs');
});

test('stop mid-epoch, then resume: one continuous curve with no duplicated or missing steps', async () => {
  const stop = installStopSignal({ handleProcessSignals: false });
  const first = await runExperiment('quickstart', {
    ...common(),
    overrides: [...TINY, 'train.epochs=3'],
    name: 'resume',
    stop,
    onStep: (step) => {
      if (step === STEPS_PER_EPOCH + 3) stop.request();
    },
  });
  assert.equal(first.record.status, 'interrupted');
  assert.equal(first.record.globalStep, STEPS_PER_EPOCH + 3);
  assert.equal(first.record.epochs.completed, 1);
  const state = JSON.parse(readFileSync(join(first.runDir, 'checkpoints', 'state.json'), 'utf8'));
  assert.equal(state.epoch, 1);
  assert.equal(state.batchInEpoch, 3);
  assert.equal(state.globalStep, STEPS_PER_EPOCH + 3);
  assert.equal(
    (await read(first.runDir)).hparams().sessionEnd?.status,
    'failure',
    'TensorBoard has no "aborted": an interrupted session ends as a failure',
  );
  const statusFile = first.record.hparamsSessionEndFile;
  assert.ok(statusFile && statusFile.includes('tfevents'), 'run.json names the session-end file');
  assert.deepEqual(
    sessionEndFiles(first.runDir),
    [statusFile],
    'the interrupted status is alone in its own event file',
  );

  const second = await runExperiment(null, { ...common(), resume: first.record.id });
  assert.equal(second.runDir, first.runDir);
  assert.equal(second.record.status, 'success');
  assert.deepEqual(second.record.resumedFrom, { epoch: 1, globalStep: STEPS_PER_EPOCH + 3 });
  assert.equal(second.record.globalStep, 3 * STEPS_PER_EPOCH);
  assert.deepEqual(
    second.record.history.map((h) => h.epoch),
    [0, 1, 2],
  );
  assert.equal(second.record.compute.trainImages, 150);

  assert.ok(
    readdirSync(join(first.runDir, TRAIN_SUBRUN)).filter((f) => f.includes('tfevents')).length >= 2,
    'the resumed run appends new event files',
  );
  const train = await read(join(first.runDir, TRAIN_SUBRUN));
  assert.deepEqual(steps(train, 'batch_loss'), range(1, 3 * STEPS_PER_EPOCH));
  assert.deepEqual(steps(train, 'epoch_loss'), [0, 1, 2]);
  const validation = await read(join(first.runDir, VALIDATION_SUBRUN));
  assert.deepEqual(
    steps(validation, 'evaluation_accuracy_vs_iterations'),
    [1, 2, 3].map((e) => e * STEPS_PER_EPOCH),
  );
  const root = await read(first.runDir);
  assert.equal(root.texts('definition').length, 1, 'the definition is written once');
  assert.equal(root.hparams().sessionEnd?.status, 'success');
  assert.equal(existsSync(join(first.runDir, statusFile)), false, '--resume deletes the interrupted session end');
  const ends = sessionEndFiles(first.runDir);
  assert.equal(ends.length, 1, 'TensorBoard keeps the first session end: only the final one is left');
  assert.equal(second.record.hparamsSessionEndFile, null);
});

test('a failed run ends its HParams session in its own file; resumed to the end, TensorBoard: success', async () => {
  await assert.rejects(
    runExperiment('quickstart', {
      ...common(),
      overrides: [...TINY, 'train.epochs=1'],
      name: 'fails',
      onStep: (step) => {
        if (step === 2) throw new Error('disk on fire');
      },
    }),
    /disk on fire/,
  );
  const runDir = join(
    logdir,
    'quickstart',
    readdirSync(join(logdir, 'quickstart')).find((d) => d.endsWith('-fails'))!,
  );
  const failed = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as RunRecord;
  assert.equal(failed.status, 'failed');
  assert.equal(failed.error, 'disk on fire');
  assert.deepEqual(sessionEndFiles(runDir), [failed.hparamsSessionEndFile]);
  assert.equal((await read(runDir)).hparams().sessionEnd?.status, 'failure');

  const resumed = await runExperiment(null, { ...common(), resume: runDir });
  assert.equal(resumed.record.status, 'success');
  assert.equal(sessionEndFiles(runDir).length, 1);
  assert.equal((await read(runDir)).hparams().sessionEnd?.status, 'success');
});

test('an inline definition through a partly frozen base: micro-batches, augmentation, no cache', async () => {
  const { runDir, record } = await runExperiment(
    {
      extends: 'mobilenetv2-frozen',
      model: { alpha: 0.35, weights: 'none', inputSize: 32, freeze: { last: 12 } },
      data: { trainPerClass: 2, validationSize: 10, testPerClass: 1, augment: { flip: true, crop: 2 } },
      train: { epochs: 1, batchSize: 4, microBatch: 2, logEveryBatches: 2 },
    },
    { ...common(), name: 'inline' },
  );
  assert.equal(record.status, 'success', record.error ?? '');
  assert.equal(record.experiment, 'inline');
  assert.equal(record.featureCache, null, 'a partly trainable base is trained end to end');
  assert.ok(record.params!.base.trainable > 0 && record.params!.base.nonTrainable > 0);
  assert.equal(record.globalStep, 5);
  assert.deepEqual(record.definition.data.augment, { flip: true, crop: 2 });
  const train = await read(join(runDir, TRAIN_SUBRUN));
  assert.deepEqual(steps(train, 'batch_loss'), [2, 4]);
  assert.ok(Number.isFinite(train.scalars('epoch_loss')[0]!.value));
});
