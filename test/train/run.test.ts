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
import { sessionEndFiles } from '../helpers/session-ends.ts';
import { PythonLoaderView } from '../helpers/python-loader.ts';
import { TRAIN_SUBRUN, VALIDATION_SUBRUN } from '../../src/run/layout.ts';
import { hparamsGroupName } from '../../src/tensorboard/index.ts';
import { localRunOptions } from '../helpers/run-options.ts';

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

const common = () => localRunOptions(logdir);

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
  assert.equal(onDisk.params?.model.trainable, 960 * 128 + 128 + 128 * 10 + 10, '960 joined features');
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
  const hparams = hp.sessionStart!.hparams;
  assert.equal(hparams.base, 'mobilenetv1');
  assert.equal(hparams.input_size, 64);
  assert.deepEqual(
    [hparams.train_per_class, hparams.validation_size, hparams.test_per_class, hparams.micro_batch],
    [5, 30, 3, 8],
  );
  assert.deepEqual([hparams.feature_cache, hparams.backend], ['on', 'wasm']);
  const { seed, ...withoutSeed } = hparams;
  assert.equal(seed, onDisk.seed);
  assert.equal(
    hp.sessionStart?.groupName,
    hparamsGroupName(withoutSeed as Parameters<typeof hparamsGroupName>[0]),
    'repeats with other seeds group together',
  );
  assert.equal(hp.sessionEnd?.status, 'success');
  assert.equal(sessionEndFiles(runDir).length, 1, 'one session end');
  assert.deepEqual(readdirSync(runDir).filter((f) => f.includes('tfevents')).length, 1, 'no session-end file');
  assert.equal(onDisk.progress, null, 'no phase in progress once the run is over');
  assert.equal(onDisk.pid, process.pid);
  assert.equal(train.plugin('keras'), 'graph_keras_model', 'the model graph, as Keras writes it');
  assert.deepEqual(train.tags('histograms'), [], 'no weight histograms by default (Keras: histogram_freq=0)');
  assert.deepEqual(
    readdirSync(logdir).filter((f) => f.includes('tfevents')),
    [],
    'no _hparams_/experiment: TensorBoard infers it from the session starts',
  );

  // Same data, model and preprocessing: the second run reads the features from the cache.
  const again = await runExperiment('quickstart', {
    ...common(),
    overrides: [...TINY, 'train.epochs=1', 'optimizer.learningRate=0.01'],
  });
  assert.equal(again.record.featureCache?.hit, true);
  assert.equal(again.record.featureCache?.key, onDisk.featureCache?.key);
  assert.equal(again.record.status, 'success');
  const other = (await read(again.runDir)).hparams().sessionStart!;
  assert.equal(other.hparams.learning_rate, 0.01);
  assert.notEqual(other.groupName, hp.sessionStart?.groupName, 'another configuration, another group');
});

/** Step numbers of a series as the Python loader shows it, checked strictly increasing. */
function shownSteps(tb: PythonLoaderView, run: string, tag: string): number[] {
  const seen = tb.scalars(run, tag).map((p) => p.step);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i]! > seen[i - 1]!, `${run} ${tag}: ${seen.join(',')}`);
  return seen;
}

test('a TensorBoard open throughout (Python loader) watches a real run train, stop, resume and finish', async () => {
  const tb = new PythonLoaderView(logdir);
  const stop = installStopSignal({ handleProcessSignals: false });
  let watching: Promise<void> | null = null;
  const first = await runExperiment('quickstart', {
    ...common(),
    overrides: [...TINY, 'train.epochs=3', 'train.histogramFreq=2'],
    name: 'resume',
    stop,
    onStep: (step) => {
      // Epoch 0 is written, flushed and checkpointed: TensorBoard reloads while the run trains on.
      if (step === STEPS_PER_EPOCH + 1) watching = tb.reload();
      if (step === STEPS_PER_EPOCH + 3) stop.request();
    },
  });
  await watching;
  const id = first.record.id;
  const [train, validation] = [`${id}/${TRAIN_SUBRUN}`, `${id}/${VALIDATION_SUBRUN}`];
  assert.equal(tb.session(id)?.status, 'unknown', 'training: the session is listed, no end yet');
  assert.equal(tb.session(id)?.start.hparams.base, 'mobilenetv1');
  assert.deepEqual(shownSteps(tb, train, 'batch_loss').slice(0, STEPS_PER_EPOCH), range(1, STEPS_PER_EPOCH));
  assert.deepEqual(shownSteps(tb, train, 'epoch_loss'), [0]);
  assert.deepEqual(shownSteps(tb, validation, 'epoch_accuracy'), [0]);
  assert.match(tb.kerasModel(train) ?? '', /"class_name"/, 'the Graphs tab has the model');
  assert.ok(tb.tags(train, 'histograms').length > 0, 'weight histograms of epoch 0 (histogramFreq 2)');

  assert.equal(first.record.status, 'interrupted');
  assert.equal(first.record.globalStep, STEPS_PER_EPOCH + 3);
  assert.equal(first.record.epochs.completed, 1);
  const state = JSON.parse(readFileSync(join(first.runDir, 'checkpoints', 'state.json'), 'utf8'));
  assert.deepEqual([state.epoch, state.batchInEpoch, state.globalStep], [1, 3, STEPS_PER_EPOCH + 3]);
  await tb.reload();
  assert.equal(tb.session(id)?.status, 'unknown', 'interrupted: no session end is written');
  assert.deepEqual(sessionEndFiles(first.runDir), []);
  assert.deepEqual(shownSteps(tb, train, 'batch_loss'), range(1, STEPS_PER_EPOCH + 3));
  assert.deepEqual(tb.scalars(id, 'test/accuracy'), []);

  const second = await runExperiment(null, { ...common(), resume: id });
  assert.equal(second.runDir, first.runDir);
  assert.equal(second.record.status, 'success');
  assert.deepEqual(second.record.resumedFrom, { epoch: 1, globalStep: STEPS_PER_EPOCH + 3 });
  assert.equal(second.record.globalStep, 3 * STEPS_PER_EPOCH);
  assert.deepEqual(
    second.record.history.map((h) => h.epoch),
    [0, 1, 2],
  );
  assert.equal(second.record.compute.trainImages, 150);
  await tb.reload();
  assert.equal(tb.session(id)?.status, 'success', 'finished: the one session end');
  assert.deepEqual(shownSteps(tb, train, 'batch_loss'), range(1, 3 * STEPS_PER_EPOCH));
  assert.deepEqual(shownSteps(tb, train, 'epoch_loss'), [0, 1, 2]);
  assert.deepEqual(shownSteps(tb, validation, 'epoch_loss'), [0, 1, 2]);
  assert.deepEqual(
    shownSteps(tb, validation, 'evaluation_accuracy_vs_iterations'),
    [1, 2, 3].map((e) => e * STEPS_PER_EPOCH),
  );
  assert.deepEqual(
    tb.scalars(id, 'test/accuracy').map((p) => p.step),
    [3],
  );
  assert.equal(tb.images(id, 'confusion_matrix').length, 1);
  assert.equal(tb.images(id, 'sample_predictions').length, 1);
  assert.equal(tb.texts(id, 'definition').length, 1, 'the definition is written once');
  assert.deepEqual(tb.log, [], 'no earlier file grew after a later one appeared');

  for (const sub of [TRAIN_SUBRUN, VALIDATION_SUBRUN]) {
    const files = readdirSync(join(first.runDir, sub)).filter((f) => f.includes('tfevents'));
    assert.equal(files.length, 2, `${sub}: the stopped process's file and the resumed one's`);
    assert.equal(tb.currentFile(`${id}/${sub}`), files.sort()[1], 'the resumed file sorts last');
  }
  const onDisk = await read(join(first.runDir, TRAIN_SUBRUN));
  assert.deepEqual(steps(onDisk, 'batch_loss'), range(1, 3 * STEPS_PER_EPOCH));
  const kernels = onDisk.tags('histograms').filter((t) => t.endsWith('/kernel_0'));
  assert.ok(kernels.length >= 2, `a kernel histogram per layer: ${kernels.join(', ')}`);
  for (const tag of kernels)
    assert.deepEqual(
      onDisk.histograms(tag).map((p) => p.step),
      [0, 2],
      tag,
    );
  assert.equal(sessionEndFiles(first.runDir).length, 1);
});

test('a failed run ends no HParams session; resumed to the end, TensorBoard: success', async () => {
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
  assert.deepEqual(sessionEndFiles(runDir), [], 'a failed run writes no session end: a resume may still succeed');
  assert.equal((await read(runDir)).hparams().sessionStart?.hparams.base, 'mobilenetv1');

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
  assert.deepEqual(record.definition.data.augment, { flip: true, crop: 2, cropCopies: 1 });
  const train = await read(join(runDir, TRAIN_SUBRUN));
  assert.deepEqual(steps(train, 'batch_loss'), [2, 4]);
  assert.ok(Number.isFinite(train.scalars('epoch_loss')[0]!.value));
});
