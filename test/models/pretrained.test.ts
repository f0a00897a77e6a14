import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, truncate } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { modelCost } from '../../src/models/cost.ts';
import { FreezableBatchNormalization } from '../../src/models/layers/freezable-batch-norm.ts';
import {
  loadPretrainedMobileNetV1,
  mobileNetV1Base,
  resolvePretrainedMobileNetV1,
} from '../../src/models/weights/tfjs-layers.ts';
import { cifarDir, sharedModelsDir } from '../helpers/shared.ts';
import { resolveLocations, type LocationFlags } from '../../src/experiment/locations.ts';

// The truck-like labels plus other road vehicles a blurry 32-px truck resembles.
const TRUCK_LIKE =
  /\b(moving van|trailer truck|pickup|tow truck|fire engine|garbage truck|police van|minivan|trolleybus|recreational vehicle|school bus|ambulance|jeep)\b/;

before(async () => {
  await tf.setBackend('cpu');
});

/** One CIFAR-10 test record as a 1×32×32×3 float tensor of 0..255 RGB (planes → HWC). */
function cifarRecord(index: number): { image: tf.Tensor4D; label: number } {
  const buf = readFileSync(join(cifarDir(), 'test_batch.bin'));
  const rec = buf.subarray(index * 3073, (index + 1) * 3073);
  const hwc = new Float32Array(32 * 32 * 3);
  for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) hwc[p * 3 + c] = rec[1 + c * 1024 + p]!;
  return { image: tf.tensor4d(hwc, [1, 32, 32, 3]), label: rec[0]! };
}

test('the pretrained MobileNet v1 0.25 loads from disk and calls a CIFAR-10 truck a truck', async () => {
  const { model, labels } = await loadPretrainedMobileNetV1({ modelsDir: sharedModelsDir(), download: false });
  assert.equal(labels.length, 1000);
  assert.deepEqual(model.outputs[0]!.shape, [null, 1000]);
  const bn = model.layers.find((l) => l.name === 'conv1_bn')!;
  assert.ok(bn instanceof FreezableBatchNormalization, 'BatchNormalization deserializes as the frozen-aware class');

  const top5Of = async (indices: number[]): Promise<string[][]> => {
    const records = indices.map(cifarRecord);
    const probs = tf.tidy(() => {
      const x = tf.concat(records.map((r) => r.image));
      // The preprocessing: bilinear upsampling to 224 px, then x / 127.5 - 1.
      const resized = tf.image.resizeBilinear(x, [224, 224], false, true).div(127.5).sub(1);
      return model.predict(resized) as tf.Tensor2D;
    });
    const rows = (await probs.array()) as number[][];
    tf.dispose([probs, ...records.map((r) => r.image)]);
    return rows.map((p) => {
      assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-3, 'softmax output');
      return p
        .map((v, i) => [v, i] as const)
        .sort((a, b) => b[0] - a[0])
        .slice(0, 5)
        .map(([, i]) => labels[i]!);
    });
  };
  const [truck] = await top5Of([9]);
  assert.equal(cifarRecord(9).label, 9, 'record i has label i mod 10');
  assert.ok(
    truck!.some((l) => TRUCK_LIKE.test(l)),
    `record 9 top 5: ${truck!.join(' | ')}`,
  );
  // Not a fluke: truck-like labels are common among trucks and rare among animals.
  const count = (rows: string[][]) => rows.filter((top5) => top5.some((l) => TRUCK_LIKE.test(l))).length;
  const trucks = count(await top5Of([19, 29, 39, 49, 59, 69, 79, 89, 99, 109]));
  const animals = count(await top5Of([2, 3, 4, 5, 6, 7, 12, 13, 14, 15]));
  assert.ok(trucks >= 3 && animals <= 1, `truck-like top 5 for ${trucks}/10 trucks and ${animals}/10 animals`);
  model.dispose();
});

test('mobileNetV1Base is cut at conv_pw_13_relu and costs about the published 41 M mult-adds', async () => {
  const base = await mobileNetV1Base({ modelsDir: sharedModelsDir(), download: false });
  assert.deepEqual(base.outputs[0]!.shape, [null, 7, 7, 256]);
  assert.equal(base.layers.at(-1)!.name, 'conv_pw_13_relu');
  assert.equal(base.name, 'mobilenet_0.25_224');
  const x = tf.zeros([1, 224, 224, 3]);
  const features = base.predict(x) as tf.Tensor;
  assert.ok(features.min().dataSync()[0]! >= 0 && features.max().dataSync()[0]! <= 6, 'ReLU6 output');
  tf.dispose([x, features]);
  const { model } = await loadPretrainedMobileNetV1({ modelsDir: sharedModelsDir(), download: false });
  const full = modelCost(model);
  // Published for MobileNet_v1_0.25_224: 41 million mult-adds, 0.47 million parameters.
  assert.ok(Math.abs(full.macsPerImage / 41e6 - 1) < 0.05, `full model ${full.macsPerImage} MACs`);
  assert.ok(Math.abs(full.totalParams / 0.47e6 - 1) < 0.02, `full model ${full.totalParams} params`);
  const cost = modelCost(base);
  assert.equal(full.macsPerImage - cost.macsPerImage, 256 * 1000, 'the cut drops exactly the 1×1 conv_preds head');
  assert.equal(full.totalParams - cost.totalParams, 256 * 1000 + 1000);
  model.dispose();
});

test('other input sizes rebuild the fully convolutional part', async () => {
  const base = await mobileNetV1Base({ modelsDir: sharedModelsDir(), download: false, inputSize: 96 });
  assert.deepEqual(base.outputs[0]!.shape, [null, 3, 3, 256]);
  base.dispose();
});

test('models dir: option > TRANSFERLAB_MODELS_DIR > <cache>/models; offline, none there: one error', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tl-pre-'));
  try {
    const modelsDir = (flags: LocationFlags, env: NodeJS.ProcessEnv) => resolveLocations(flags, env).modelsDir;
    assert.equal(modelsDir({ modelsDir: '/a' }, { TRANSFERLAB_MODELS_DIR: '/b' }), '/a');
    assert.equal(modelsDir({}, { TRANSFERLAB_MODELS_DIR: '/b' }), '/b');
    assert.equal(modelsDir({}, { TRANSFERLAB_CACHE_DIR: '/c' }), '/c/models');
    await assert.rejects(resolvePretrainedMobileNetV1({ modelsDir: dir, download: false }), (err: Error) => {
      assert.match(err.message, /storage\.googleapis\.com\/tfjs-models\/tfjs\/mobilenet_v1_0\.25_224\/model\.json/);
      assert.ok(err.message.includes(join(dir, 'mobilenet_v1_0.25_224')));
      assert.ok(!err.message.includes('\n'));
      return true;
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

// A local stand-in for storage.googleapis.com serving the shared copy of the same files.
let server: Server;
let base = '';
let requests: string[] = [];
before(async () => {
  const root = join(sharedModelsDir(), 'mobilenet_v1_0.25_224');
  server = createServer((req, res) => {
    requests.push(req.url!);
    const name = req.url!.split('/').pop()!;
    const p = join(root, name);
    if (!req.url!.startsWith('/tfjs/mobilenet_v1_0.25_224/') || !existsSync(p)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': statSync(p).size });
    createReadStream(p).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as { port: number };
  base = `http://127.0.0.1:${addr.port}/tfjs/mobilenet_v1_0.25_224/model.json`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

test('downloads model.json and every shard once, checks sizes, repairs a truncated shard', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tl-pre-'));
  try {
    requests = [];
    const got = await resolvePretrainedMobileNetV1({ modelsDir: dir, url: base, progress: 'none' });
    assert.equal(got, join(dir, 'mobilenet_v1_0.25_224'));
    assert.equal(requests.length, 56, 'model.json + 55 shards');
    requests = [];
    await resolvePretrainedMobileNetV1({ modelsDir: dir, url: base, progress: 'none' });
    assert.equal(requests.length, 0, 'a complete folder is used as is');

    await truncate(join(got, 'group29-shard1of1'), 1000);
    await assert.rejects(
      resolvePretrainedMobileNetV1({ modelsDir: dir, download: false }),
      /group29-shard1of1.*1000 bytes/,
    );
    requests = [];
    await resolvePretrainedMobileNetV1({ modelsDir: dir, url: base, progress: 'none' });
    assert.ok(requests.some((u) => u.endsWith('group29-shard1of1')));
    assert.equal(statSync(join(got, 'group29-shard1of1')).size, 1028000);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
