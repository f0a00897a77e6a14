// Keras parity on the writer side: the `keras` model-config summary (Graphs tab), weight
// histograms as TF 2.x Keras names and buckets them, and hp.KerasCallback's group names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { SummaryWriter, RunReader } from '../../src/tensorboard/index.ts';
import { scanRecords } from '../../src/tensorboard/format/record.ts';
import { EventMessage } from '../../src/tensorboard/format/protos.ts';
import type { DecodedEvent, DecodedSummaryValue } from '../../src/tensorboard/format/decoded.ts';
import { kerasModelConfigFromTfjs } from '../../src/tensorboard/write/keras-model-config.ts';
import { writeWeightHistograms, kerasWeightHistogramTag } from '../../src/tensorboard/write/weight-histograms.ts';
import { histogramBuckets } from '../../src/tensorboard/write/histogram-buckets.ts';
import { hparamsGroupName, pythonJsonDumps } from '../../src/tensorboard/write/hparams-group.ts';
import { kerasConceptualGraph } from '../helpers/keras-graph.ts';
import { realEventsDir } from '../helpers/shared.ts';
import { withTempDir } from './helpers.ts';

async function events(dir: string): Promise<DecodedEvent[]> {
  const out: DecodedEvent[] = [];
  for (const name of (await readdir(dir)).filter((f) => f.includes('tfevents')).sort()) {
    const buf = await readFile(join(dir, name));
    scanRecords(buf, (s, e) =>
      out.push(EventMessage.toObject(EventMessage.decode(buf.subarray(s, e)), { longs: Number }) as DecodedEvent),
    );
  }
  return out;
}

const sersery = () => join(realEventsDir(), 'sersery35_KAGGLE-nlp-with-disaster-tweets', 'logs/hyperparameter_tuning');
const s1 = 'run=0__lr=0.001__hidden_unit=16__optimizer=adam';
const s2 = 'run=0__lr=0.1__hidden_unit=8__optimizer=adam';

function functionalModel(): tf.LayersModel {
  const input = tf.input({ shape: [4], name: 'pixels' });
  const a = tf.layers.dense({ units: 3, name: 'a' }).apply(input) as tf.SymbolicTensor;
  const b = tf.layers.dense({ units: 3, name: 'b' }).apply(a) as tf.SymbolicTensor;
  const sum = tf.layers.add({ name: 'sum' }).apply([a, b]) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: sum, name: 'net' });
}

test('the keras model summary is encoded as Keras writes it (compared field by field with a real file)', async () => {
  await withTempDir(async (dir) => {
    const json = kerasModelConfigFromTfjs(functionalModel().toJSON(null, false));
    const w = await SummaryWriter.create(dir);
    w.kerasModel(json);
    await w.close();
    const ours = (await events(dir)).find((e) => e.summary)!;
    const real = (await events(join(sersery(), s1, 'train'))).find((e) => e.summary?.value?.[0]?.tag === 'keras')!;
    const strip = (v: DecodedSummaryValue) => ({ ...v, tensor: { ...v.tensor, string_val: undefined } });
    assert.deepEqual(strip(ours.summary!.value![0]), strip(real.summary!.value![0]));
    assert.equal(ours.step ?? 0, 0);
    const v = ours.summary!.value![0];
    assert.equal(v.metadata?.plugin_data?.plugin_name, 'graph_keras_model');
    assert.equal(Buffer.from(v.metadata!.plugin_data!.content!).toString(), '1');
    assert.equal(v.tensor?.dtype, 7); // DT_STRING, rank 0, one string: what the graphs plugin json.loads
    assert.deepEqual(v.tensor?.tensor_shape, {});
    assert.equal(Buffer.from(v.tensor!.string_val![0]).toString('utf8'), json);
    // The reader files it under its plugin and does not mistake it for a scalar.
    const r = new RunReader(dir);
    await r.update();
    assert.equal(r.plugin('keras'), 'graph_keras_model');
    assert.deepEqual(r.tags('scalars'), []);
  });
});

test('a tfjs functional model config converts to the inbound-node form keras_util.py connects', () => {
  const raw = functionalModel().toJSON(null, false) as { config: { layers: { inbound_nodes: unknown }[] } };
  // tfjs writes Keras 2 list-form nodes: keras_util would draw every layer unconnected.
  assert.deepEqual(raw.config.layers[3].inbound_nodes, [
    [
      ['a', 0, 0, {}],
      ['b', 0, 0, {}],
    ],
  ]);
  assert.ok(kerasConceptualGraph(JSON.stringify(raw)).every((n) => n.inputs.length === 0));
  const json = kerasModelConfigFromTfjs(raw);
  const parsed = JSON.parse(json);
  assert.equal(parsed.class_name, 'Model');
  assert.deepEqual(parsed.config.input_layers, [['pixels', 0, 0]]);
  assert.deepEqual(parsed.config.layers[2].inbound_nodes, [
    { args: [{ class_name: '__keras_tensor__', config: { keras_history: ['a', 0, 0] } }], kwargs: {} },
  ]);
  assert.deepEqual(
    kerasConceptualGraph(json).map((n) => [n.name, n.kerasClass, n.inputs]),
    [
      ['net/pixels', 'InputLayer', []],
      ['net/a', 'Dense', ['net/pixels']],
      ['net/b', 'Dense', ['net/a']],
      ['net/sum', 'Add', ['net/a', 'net/b']],
    ],
  );
});

test('a tfjs Sequential config passes through: keras_util links its layers in order', () => {
  const seq = tf.sequential({
    name: 'seq',
    layers: [tf.layers.dense({ units: 2, inputShape: [3], name: 'd1' }), tf.layers.dense({ units: 1, name: 'd2' })],
  });
  const json = kerasModelConfigFromTfjs(JSON.stringify(seq.toJSON(null, false)));
  assert.deepEqual(
    kerasConceptualGraph(json).map((n) => [n.name, n.inputs]),
    [
      ['seq/d1', []],
      ['seq/d2', ['seq/d1']],
    ],
  );
  assert.throws(() => kerasModelConfigFromTfjs({ layers: [] }), /class_name\/config/);
});

test('weight histograms: TF 2.x Keras tags, the same [30,3] float64 bucket layout as a real Keras file', async () => {
  const real = new RunReader(join(sersery(), s1, 'train'));
  await real.update();
  assert.ok(real.tags('histograms').includes(kerasWeightHistogramTag('dense_20/kernel:0')));
  const realEvents = await events(join(sersery(), s1, 'train'));
  const realHisto = realEvents.flatMap((e) => e.summary?.value ?? []).find((v) => v.tag === 'dense_20/kernel_0');
  assert.equal(realHisto?.tensor?.dtype, 2); // DT_DOUBLE
  assert.deepEqual(
    realHisto?.tensor?.tensor_shape?.dim?.map((d) => d.size),
    [30, 3],
  );
  for (const tag of real.tags('histograms')) {
    const buckets = real.histograms(tag)[0].buckets;
    const min = buckets[0].left;
    const max = buckets[29].right;
    if (min === max) continue;
    // Same edges as ours for the same min and max: tf.linspace(min, max, 31), last edge = max.
    const ours = histogramBuckets([min, max], 30);
    for (let b = 0; b < 30; b++) {
      assert.ok(Math.abs(ours[b * 3] - buckets[b].left) <= 1e-12 * (max - min), `${tag} bucket ${b} left`);
      assert.ok(Math.abs(ours[b * 3 + 1] - buckets[b].right) <= 1e-12 * (max - min), `${tag} bucket ${b} right`);
    }
  }
  await withTempDir(async (dir) => {
    const model = functionalModel();
    const w = await SummaryWriter.create(dir);
    const weights = model.layers.flatMap((l) =>
      l.weights.map((v) => ({ name: v.originalName, values: v.read().dataSync() })),
    );
    assert.deepEqual(writeWeightHistograms(w, weights, 2), ['a/kernel_0', 'a/bias_0', 'b/kernel_0', 'b/bias_0']);
    await w.close();
    const r = new RunReader(dir);
    await r.update();
    assert.deepEqual(r.tags('histograms'), ['a/bias_0', 'a/kernel_0', 'b/bias_0', 'b/kernel_0']);
    const kernel = r.histograms('a/kernel_0')[0];
    assert.equal(kernel.step, 2);
    assert.equal(kernel.buckets.length, 30);
    assert.equal(
      kernel.buckets.reduce((a, b) => a + b.count, 0),
      12,
    );
  });
});

test('hparamsGroupName reproduces the group names hp.hparams wrote in real files, leaving the seed out', async () => {
  for (const [session, expected] of [
    [s1, '73ae5014070f62d70d9f1a2b3f51b2820e96a0165cd57424d6803b736292028a'],
    [s2, '85fdc93fa678ab224e8753906cfca50ba29bc78ebc3ff94b6b486e3a33179d25'],
  ] as const) {
    const r = new RunReader(join(sersery(), session));
    await r.update();
    const hp = r.hparams().sessionStart!.hparams as Record<string, string | number | boolean>;
    assert.equal(hparamsGroupName(hp), expected);
    assert.equal(hparamsGroupName({ ...hp, seed: 7 }, { exclude: ['seed'] }), expected);
    assert.notEqual(hparamsGroupName({ ...hp, seed: 7 }), expected);
  }
  // json.dumps' spelling, not JSON.stringify's: exponents, ensure_ascii, whole numbers as ints.
  assert.equal(
    pythonJsonDumps({
      lr: 1e-5,
      base: 'é',
      full: true,
      p: 0.5,
      epochs: 3,
      big: 1e16,
      t: 'a"\n',
      e: -2.5e-7,
      h: 123.25,
    }),
    '{"base":"\\u00e9","big":1e+16,"e":-2.5e-07,"epochs":3,"full":true,"h":123.25,"lr":1e-05,"p":0.5,"t":"a\\"\\n"}',
  );
});

test('kerasModel refuses text that is not JSON, naming the field', async () => {
  await withTempDir(async (dir) => {
    const w = await SummaryWriter.create(dir);
    assert.throws(() => w.kerasModel('{"class_name": '), /^Error: keras model \(.*\): field modelConfigJson: not JSON/);
    await w.close();
  });
});
