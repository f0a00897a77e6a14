import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backends/index.ts';
import { loadBatchFiles, preprocess } from '../../src/data/index.ts';
import { buildBase, buildClassifier } from '../../src/models/index.ts';
import { collectOutputs, loadOnnxRuntime, OnnxForward, writeOnnxFile, type Batch } from '../../src/onnx/index.ts';
import { cifarDir } from '../helpers/shared.ts';
import { compare } from './helpers.ts';
import { seedWeights } from '../helpers/seed-weights.ts';

before(async () => {
  await selectBackend('wasm');
});

function classifier(): tf.LayersModel {
  const base = buildBase({ name: 'mobilenetv2', alpha: 0.35, inputSize: 48 });
  const model = buildClassifier(base, {
    inputSize: 48,
    resize: 'bilinear',
    numClasses: 10,
    head: { pooling: 'avg', dense: [{ units: 16 }] },
  });
  seedWeights(model, 5);
  return model;
}

test('writeOnnxFile: a .onnx file (preprocessing inside) that, read back, matches tfjs on 64 images', async () => {
  const rt = await loadOnnxRuntime();
  assert.ok(rt.available);
  const set = await loadBatchFiles([join(cifarDir(), 'test_batch.bin')]);
  const images = tf.tidy(() =>
    tf.tensor4d(set.images.subarray(0, 64 * 32 * 32 * 3), [64, 32, 32, 3], 'int32').toFloat(),
  );
  const dir = mkdtempSync(join(tmpdir(), 'onnx-file-'));
  try {
    const path = join(dir, 'model.onnx');
    const check = await writeOnnxFile(rt, classifier(), path, { preprocess: 'torch', images });
    assert.equal(check.images, 64);
    assert.ok(check.maxAbsDiff <= 1e-4 * check.scale, JSON.stringify(check));
    assert.equal(check.classMismatches, 0);
    assert.deepEqual(readdirSync(dir), ['model.onnx']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    images.dispose();
  }
});

test('collectOutputs: mixed batch sizes concatenate as one batch; a stop gives null; a wrong total errs', async () => {
  const rt = await loadOnnxRuntime();
  assert.ok(rt.available);
  const model = classifier();
  const forward = await OnnxForward.open(rt, model, { preprocess: 'tf' }, { threads: 1 });
  assert.deepEqual(forward.info, { engine: 'onnx', provider: 'cpu', threads: 1, version: rt.version });
  const x = tf.randomUniform([10, 32, 32, 3], 0, 255, 'float32', 4);
  const all = x.dataSync() as Float32Array;
  const per = 32 * 32 * 3;
  const batches = (sizes: number[]): Batch[] => {
    let at = 0;
    return sizes.map((n) => ({ data: all.subarray((at += n) * per - n * per, at * per), shape: [n, 32, 32, 3] }));
  };
  const progress: number[] = [];
  const got = await collectOutputs(forward, batches([4, 4, 2]), { total: 10, onProgress: (d) => progress.push(d) });
  assert.ok(got);
  assert.equal(got.dim, 10);
  assert.deepEqual(progress, [4, 8, 10]);
  const want = tf.tidy(() => model.predict(preprocess(x, 'tf')) as tf.Tensor);
  const { diff, scale } = compare(got.values, want.dataSync());
  assert.ok(diff <= 1e-4 * scale, `${diff}`);
  assert.equal(await collectOutputs(forward, batches([4, 4, 2]), { total: 10, shouldStop: () => true }), null);
  await assert.rejects(collectOutputs(forward, batches([4, 4]), { total: 10 }), /held 8 images, 10 announced/);
  await forward.dispose();
});
