// LP-FT: the head fitted alone on cached features before fine-tuning. The probe's loop on separable
// features, and a real (tiny) fine-tuning run of the pretrained MobileNet v1 that probes first.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backends/index.ts';
import { resolveInlineDefinition } from '../../src/experiment/load.ts';
import { runExperiment } from '../../src/train/run-experiment.ts';
import type { BatchSource, TrainingInputs } from '../../src/train/inputs.ts';
import { linearProbe } from '../../src/train/linear-probe.ts';
import { localRunOptions } from '../helpers/run-options.ts';

before(async () => {
  await selectBackend('wasm', { quiet: true });
});

/** Rows whose class is the argmax of their first 4 of 8 features (plus noise), in batches as a cache gives them. */
function separable(count: number, seed: number): BatchSource {
  let s = seed;
  const random = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 4);
  const x = Float32Array.from({ length: count * 8 }, (_, k) => (labels[k >> 3] === (k & 7) ? 2 : 0) + random() * 0.3);
  return {
    count,
    labels,
    async *stream({ batchSize }) {
      for (let b = 0; b * batchSize < count; b++) {
        const rows = Int32Array.from(
          { length: Math.min(batchSize, count - b * batchSize) },
          (_, i) => b * batchSize + i,
        );
        const ls = Uint8Array.from(rows, (r) => labels[r]!);
        yield {
          x: tf.tensor2d(x.slice(rows[0]! * 8, (rows[rows.length - 1]! + 1) * 8), [rows.length, 8]),
          y: tf.oneHot(tf.tensor1d(ls, 'int32'), 4).toFloat() as tf.Tensor2D,
          indices: rows,
          labels: ls,
          batch: b,
        };
      }
    },
  };
}

test('the probe trains the head on cached features: validation from chance to nearly all right', async () => {
  // Zero kernels: the head starts at chance, and what it learns in a few steps shows in the accuracy.
  const dense = tf.layers.dense({ units: 4, activation: 'softmax', inputShape: [8], kernelInitializer: 'zeros' });
  const head = tf.sequential({ layers: [dense] });
  const inputs: TrainingInputs = {
    model: head,
    sources: { train: separable(2048, 1), validation: separable(256, 2), test: separable(8, 3) },
    augment: false,
    evalBatchSize: 64,
    featureCache: null,
  };
  const result = await linearProbe(inputs, 8, 4, () => false);
  assert.equal(result?.epochs, 8);
  assert.ok(result!.valAccuracy! > 0.95, `validation accuracy ${result!.valAccuracy}`);
  let asked = 0;
  assert.equal(await linearProbe(inputs, 3, 4, () => ++asked > 2), null, 'a stop ends the probe');
});

test('a fine-tuning run probes its head on the base cached features first, then trains every layer', async () => {
  const logdir = await mkdtemp(join(tmpdir(), 'tl-probe-runs-'));
  const cacheDir = await mkdtemp(join(tmpdir(), 'tl-probe-cache-'));
  process.env.TRANSFERLAB_CACHE_DIR = cacheDir;
  const lines: string[] = [];
  const { record } = await runExperiment('mobilenetv1-finetune', {
    ...localRunOptions(logdir, (line) => lines.push(line)),
    workers: 1,
    overrides: [
      'data.trainPerClass=4',
      'data.validationSize=20',
      'data.testPerClass=1',
      'model.inputSize=32',
      'train.epochs=1',
      'train.batchSize=8',
      'train.microBatch=8',
      'train.probeEpochs=2',
    ],
  });
  assert.equal(record.status, 'success', record.error ?? '');
  const probe = lines.find((l) => l.startsWith('probe:'));
  assert.match(probe ?? '', /^probe: the head alone, 2 epochs on the base's cached features · val_acc \d\.\d{4}/);
  const cached = lines.findIndex((l) => l.startsWith('features 32 px: cached'));
  assert.ok(cached > 0 && cached < lines.indexOf(probe!), lines.join('\n'));
  assert.ok(lines.indexOf(probe!) < lines.findIndex((l) => l.startsWith('test:')));
  assert.equal(record.history.length, 1, 'then one epoch of every layer');
  assert.equal(record.featureCache, null, 'the run itself trains on images');
  assert.ok(record.params!.base.trainable > 0);
  assert.equal((await readdir(join(cacheDir, 'features'))).length, 1, 'the probe cached the base features');
  assert.ok(record.estimate!.featureSeconds > 0, 'the estimate counts the probe extraction');
});

test('probeEpochs: only for a base that trains, on cached features; the error names the field', () => {
  const bad = (model: Record<string, unknown>, train: Record<string, unknown>) => () =>
    resolveInlineDefinition({ extends: 'mobilenetv1-finetune', model, train: { probeEpochs: 2, ...train } }, {});
  assert.throws(bad({ freeze: 'all' }, {}), /train\.probeEpochs.*frozen base has nothing to fine-tune/);
  assert.throws(bad({}, { featureCache: 'off' }), /train\.probeEpochs.*featureCache: auto/);
  assert.equal(resolveInlineDefinition({ extends: 'mobilenetv1-finetune' }, {}).definition.train.probeEpochs, 3);
});
