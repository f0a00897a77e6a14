// The reader on every real TensorFlow/Keras file in shared/tensorboard/real-events (see ORIGIN.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { realEventsDir } from '../helpers/shared.ts';
import { discoverRuns, RunReader } from '../../src/tensorboard/index.ts';
import { EventMessage } from '../../src/tensorboard/format/protos.ts';
import type { DecodedEvent } from '../../src/tensorboard/format/decoded.ts';
import { scanRecords } from '../../src/tensorboard/format/record.ts';
import { tensorValues } from '../../src/tensorboard/read/tensor-values.ts';

async function read(dir: string): Promise<RunReader> {
  const r = new RunReader(dir);
  await r.update();
  assert.deepEqual(r.warnings, [], dir);
  return r;
}

const f32 = Math.fround;

test('jaineil_BEproject (TF 2.1 Keras): legacy simple_value scalars, two files, profile-empty skipped', async () => {
  const root = join(realEventsDir(), 'jaineil_BEproject');
  assert.deepEqual(await discoverRuns(root), ['test/modelfile/logboard/train']);
  const r = await read(join(root, 'test/modelfile/logboard/train'));
  assert.equal(r.fileNames().length, 2);
  assert.equal(r.eventCount, 28);
  assert.deepEqual(r.tags('scalars'), ['epoch_accuracy', 'epoch_loss']);
  assert.deepEqual(r.tags(), ['batch_2', 'epoch_accuracy', 'epoch_loss', 'keras']);
  assert.equal(r.plugin('keras'), 'graph_keras_model');
  const loss = r.scalars('epoch_loss');
  assert.equal(loss.length, 10);
  assert.deepEqual(
    loss.map((p) => p.step),
    [0, 1, 2, 3, 4, 0, 1, 2, 3, 4],
  );
  assert.deepEqual(
    loss.slice(0, 3).map((p) => p.value),
    [f32(3.4982190132141113), f32(0.6529727578163147), f32(0.5786548256874084)],
  );
  assert.equal(loss[0].wallTime, 1582040155.966955);
  assert.equal(r.scalars('epoch_accuracy')[0].value, f32(0.698116660118103));
});

test(
  'huangyuan3h_StockData (TF 2.8 Keras): tensor scalars, NaN ' +
    'validation values, [30,3] float64 histograms, 3+2 files',
  async () => {
    const root = join(realEventsDir(), 'huangyuan3h_StockData');
    const base = 'logs/fit/20220213-124139';
    assert.deepEqual(await discoverRuns(root), [`${base}/train`, `${base}/validation`]);
    const train = await read(join(root, base, 'train'));
    assert.equal(train.fileNames().length, 3);
    assert.equal(train.eventCount, 582 + 582 + 2);
    assert.deepEqual(train.tags('scalars'), ['epoch_loss', 'epoch_mae']);
    const loss = train.scalars('epoch_loss');
    assert.equal(loss.length, 40); // two training runs with the same steps, like TensorBoard's Python loader
    assert.deepEqual(
      loss.slice(0, 3).map((p) => [p.step, p.value]),
      [
        [0, f32(6.7651214599609375)],
        [1, f32(6.711446762084961)],
        [2, f32(6.654415130615234)],
      ],
    );
    assert.equal(loss[20].step, 0);
    assert.equal(train.tags('histograms').length, 27);
    const h = train.histograms('dense/kernel_0');
    assert.equal(h.length, 40);
    assert.equal(h[0].buckets.length, 30);
    assert.deepEqual(h[0].buckets[0], { left: -0.12514632940292358, right: -0.11680562247832615, count: 1109 });

    const val = await read(join(root, base, 'validation'));
    assert.deepEqual(val.tags('scalars'), [
      'epoch_loss',
      'epoch_mae',
      'evaluation_loss_vs_iterations',
      'evaluation_mae_vs_iterations',
    ]);
    const ev = val.scalars('evaluation_loss_vs_iterations');
    assert.equal(ev.length, 40);
    assert.deepEqual(
      ev.map((p) => p.step),
      [...Array.from({ length: 20 }, (_, i) => i + 1), ...Array.from({ length: 20 }, (_, i) => i + 21)],
    );
    assert.ok(val.scalars('epoch_loss').every((p) => Number.isNaN(p.value)));
  },
);

test('sersery35 hparams sweep: experiment at the root, two sessions with hparams and metrics', async () => {
  const root = join(realEventsDir(), 'sersery35_KAGGLE-nlp-with-disaster-tweets', 'logs/hyperparameter_tuning');
  const s1 = 'run=0__lr=0.001__hidden_unit=16__optimizer=adam';
  const s2 = 'run=0__lr=0.1__hidden_unit=8__optimizer=adam';
  assert.deepEqual(await discoverRuns(root), [
    '.',
    s1,
    `${s1}/train`,
    `${s1}/validation`,
    s2,
    `${s2}/train`,
    `${s2}/validation`,
  ]);

  const exp = (await read(root)).hparams().experiment!;
  assert.deepEqual(
    exp.hparams.map((h) => [h.name, h.type]),
    [
      ['learning_rate', 'float64'],
      ['hidden_unit', 'float64'],
      ['batch_size', 'float64'],
      ['optimizer', 'string'],
    ],
  );
  assert.deepEqual(exp.hparams[0].domain, { min: 0.001, max: 0.1 });
  assert.deepEqual(exp.hparams[1].domain, { discrete: [8, 16, 32, 64, 128] });
  assert.deepEqual(exp.hparams[3].domain, { discrete: ['adam', 'adamw', 'sgd'] });
  assert.deepEqual(
    exp.metrics.map((m) => [m.group, m.tag, m.displayName]),
    [
      ['', 'accuracy', 'Accuracy'],
      ['', 'precision', 'Precision'],
      ['', 'recall', 'Recall'],
      ['', 'f1', 'F1 Score'],
    ],
  );

  const sess2 = await read(join(root, s2));
  assert.deepEqual(sess2.hparams().sessionStart, {
    hparams: { batch_size: 8, hidden_unit: 8, learning_rate: 0.1, optimizer: 'adam' },
    groupName: '85fdc93fa678ab224e8753906cfca50ba29bc78ebc3ff94b6b486e3a33179d25',
    startTimeSecs: 1642527521.0778654,
    modelUri: '',
    monitorUrl: '',
  });
  assert.equal(sess2.hparams().sessionEnd, undefined); // no session_end_info: status stays unknown
  assert.deepEqual(sess2.tags('scalars'), ['accuracy', 'f1', 'precision', 'recall']);
  assert.deepEqual(
    sess2.scalars('accuracy').map((p) => p.step),
    [1, 1, 1, 1, 1],
  );
  assert.equal(sess2.scalars('accuracy')[0].value, f32(0.36662372946739197));

  const sess1 = await read(join(root, s1));
  assert.equal(
    sess1.hparams().sessionStart?.groupName,
    '73ae5014070f62d70d9f1a2b3f51b2820e96a0165cd57424d6803b736292028a',
  );
  assert.deepEqual(sess1.hparams().sessionStart?.hparams, {
    learning_rate: 0.001,
    optimizer: 'adam',
    hidden_unit: 16,
    batch_size: 8,
  });

  const train = await read(join(root, s2, 'train'));
  assert.equal(train.fileNames().length, 5);
  assert.equal(train.scalars('batch_loss').length, 4419);
  assert.deepEqual(
    train
      .scalars('epoch_loss')
      .slice(0, 3)
      .map((p) => p.value),
    [f32(0.5786832571029663), f32(0.4441758394241333), f32(0.3536497950553894)],
  );
  assert.equal(train.histograms('embedding_1/embeddings_0').length, 3);
  const val = await read(join(root, s2, 'validation'));
  assert.deepEqual(
    val
      .scalars('evaluation_loss_vs_iterations')
      .slice(0, 3)
      .map((p) => p.step),
    [761, 1522, 2283],
  );
  assert.equal(val.scalars('epoch_loss')[0].value, f32(0.3704303205013275));
});

test('every scalar read by the fast path equals a full protobufjs decode of every real file', async () => {
  const root = realEventsDir();
  for (const set of await readdir(root)) {
    if (set.endsWith('.md') || set.endsWith('.txt')) continue;
    for (const run of await discoverRuns(join(root, set))) {
      const dir = join(root, set, run);
      const expected = new Map<string, number[]>();
      for (const name of (await readdir(dir))
        .filter((f) => f.includes('tfevents') && !f.endsWith('.profile-empty'))
        .sort()) {
        const buf = await readFile(join(dir, name));
        scanRecords(buf, (s, e) => {
          const ev = EventMessage.toObject(EventMessage.decode(buf.subarray(s, e)), { longs: Number }) as DecodedEvent;
          for (const v of ev.summary?.value ?? []) {
            const isScalar = v.simple_value !== undefined || v.metadata?.plugin_data?.plugin_name === 'scalars';
            if (!isScalar) continue;
            const value = v.simple_value ?? tensorValues(v.tensor!).numbers![0];
            const tag = v.tag ?? '';
            expected.set(tag, [...(expected.get(tag) ?? []), value]);
          }
        });
      }
      const r = await read(dir);
      assert.deepEqual(r.tags('scalars'), [...expected.keys()].sort(), dir);
      for (const [tag, values] of expected)
        assert.deepEqual(
          r.scalars(tag).map((p) => p.value),
          values,
          `${dir} ${tag}`,
        );
    }
  }
});
