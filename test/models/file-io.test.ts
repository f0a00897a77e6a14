import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cutAt, fileSystemIO, loadLayersModelFromDir } from '../../src/models/weights/tfjs-layers.ts';
import { FreezableBatchNormalization, freezableBatchNorm } from '../../src/models/layers/freezable-batch-norm.ts';
import { UpSample } from '../../src/models/layers/up-sample.ts';

let dir = '';
before(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'tl-io-'));
});
after(() => rm(dir, { recursive: true, force: true }));

function smallModel(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 3], name: 'image' });
  let x = new UpSample({ size: 12, name: 'up_sample' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, name: 'conv' }).apply(x) as tf.SymbolicTensor;
  x = freezableBatchNorm({ name: 'bn' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.activation({ activation: 'relu', name: 'relu' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({ name: 'avg_pool' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: 3, activation: 'softmax', name: 'predictions' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x, name: 'small' });
}

const batch = () => ({
  x: tf.randomUniform([4, 8, 8, 3], 0, 1, 'float32', 7),
  y: tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3),
});

test('save + load round trip keeps weights, the custom layer, BN class and the Adam state', async () => {
  const model = smallModel();
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  const { x, y } = batch();
  await model.trainOnBatch(x, y);
  const target = join(dir, 'ckpt');
  await model.save(fileSystemIO(target), { includeOptimizer: true });
  assert.deepEqual(readdirSync(target).sort(), ['model.json', 'weights.bin'], 'no temp files left');
  const json = JSON.parse(await readFile(join(target, 'model.json'), 'utf8'));
  assert.equal(json.format, 'layers-model');
  assert.ok(json.weightsManifest[0].weights.some((w: { group?: string }) => w.group === 'optimizer'));

  const loaded = await loadLayersModelFromDir(target);
  assert.ok(loaded.getLayer('up_sample') instanceof UpSample);
  assert.ok(loaded.getLayer('bn') instanceof FreezableBatchNormalization);
  model.weights.forEach((w, i) => assert.deepEqual(loaded.weights[i]!.read().dataSync(), w.read().dataSync(), w.name));
  // The optimizer continues where it stopped: one more identical step gives the identical loss.
  const lossA = (await model.trainOnBatch(x, y)) as number;
  const lossB = (await loaded.trainOnBatch(x, y)) as number;
  assert.ok(Math.abs(lossA - lossB) < 1e-5, `${lossA} vs ${lossB}`);
  tf.dispose([x, y]);
  model.dispose();
  loaded.dispose();
});

test('file:// URLs work for model.save and tf.loadLayersModel', async () => {
  const model = smallModel();
  const target = join(dir, 'url');
  await model.save(`file://${target}`);
  const loaded = await tf.loadLayersModel(`file://${target}/model.json`);
  const x = tf.ones([1, 8, 8, 3]);
  assert.deepEqual((loaded.predict(x) as tf.Tensor).dataSync(), (model.predict(x) as tf.Tensor).dataSync());
  // Saving again over an existing checkpoint replaces it.
  await model.save(`file://${target}`);
  assert.deepEqual(readdirSync(target).sort(), ['model.json', 'weights.bin']);
  x.dispose();
  model.dispose();
  loaded.dispose();
});

test(
  'loads weights spread over several shards; a missing or ' +
    'short shard, or a path outside the folder, is one clear error',
  async () => {
    const model = smallModel();
    const target = join(dir, 'shards');
    await model.save(fileSystemIO(target));
    const json = JSON.parse(await readFile(join(target, 'model.json'), 'utf8'));
    const weights = await readFile(join(target, 'weights.bin'));
    const cut = 100;
    await writeFile(join(target, 'group1-shard1of2'), weights.subarray(0, cut));
    await writeFile(join(target, 'group1-shard2of2'), weights.subarray(cut));
    await rm(join(target, 'weights.bin'));
    json.weightsManifest[0].paths = ['group1-shard1of2', 'group1-shard2of2'];
    await writeFile(join(target, 'model.json'), JSON.stringify(json));
    const loaded = await loadLayersModelFromDir(join(target, 'model.json'));
    model.weights.forEach((w, i) => assert.deepEqual(loaded.weights[i]!.read().dataSync(), w.read().dataSync()));
    loaded.dispose();

    await writeFile(join(target, 'group1-shard2of2'), weights.subarray(cut, cut + 8));
    await assert.rejects(
      loadLayersModelFromDir(target),
      /model\.json.*shards hold \d+ bytes but the manifest describes \d+/,
    );
    await rm(join(target, 'group1-shard2of2'));
    await assert.rejects(loadLayersModelFromDir(target), /model\.json.*group1-shard2of2 is missing/);
    json.weightsManifest[0].paths = ['../escape.bin'];
    await writeFile(join(target, 'model.json'), JSON.stringify(json));
    await assert.rejects(loadLayersModelFromDir(target), /"\.\.\/escape\.bin" points outside the model folder/);
    await writeFile(
      join(target, 'model.json'),
      JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: 'x' }] }),
    );
    await assert.rejects(loadLayersModelFromDir(target), /model\.json: weightsManifest\.0\.paths/);
    await assert.rejects(
      loadLayersModelFromDir(join(dir, 'nothing-here')),
      /nothing-here\/model\.json: model\.json not found/,
    );
    model.dispose();
  },
);

test('cutAt returns the sub-model up to a layer, sharing its weights; an unknown name is a one-line error', () => {
  const model = smallModel();
  const features = cutAt(model, 'relu');
  assert.deepEqual(features.outputs[0]!.shape, [null, 5, 5, 4]);
  assert.equal(features.layers.at(-1)!.name, 'relu');
  assert.equal(features.getLayer('conv'), model.getLayer('conv'));
  assert.throws(
    () => cutAt(model, 'conv_pw_13_relu'),
    (err: Error) => {
      assert.match(err.message, /^cutAt: model "small" has no layer "conv_pw_13_relu"/);
      assert.ok(!err.message.includes('\n'));
      return true;
    },
  );
  model.dispose();
});
