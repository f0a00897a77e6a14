import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, mock, test } from 'node:test';
import {
  kerasWeightsFile,
  loadImagenetWeights,
  resolveWeights,
  weightsFallback,
} from '../../src/models/weights/imagenet.ts';
import * as tf from '@tensorflow/tfjs';
import { readKerasH5, writeKerasH5 } from '../../src/models/weights/keras-h5.ts';
import { resolveLocations, type LocationFlags } from '../../src/experiment/locations.ts';

const KERAS = 'https://storage.googleapis.com/tensorflow/keras-applications';

test('official no-top files: URL, md5 and size per model, MobileNetV2 by alpha and rows with fallback to 224', () => {
  assert.deepEqual(kerasWeightsFile({ name: 'densenet121', inputSize: 160 }), {
    url: `${KERAS}/densenet/densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5`,
    fileName: 'densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5',
    md5: '30ee3e1110167f948a6b9946edeeb738',
    size: 29_084_464,
  });
  assert.equal(kerasWeightsFile({ name: 'DenseNet169' }).md5, 'b8c4d4c20dd625c148057b9ff1c1176b');
  assert.equal(kerasWeightsFile({ name: 'densenet201' }).md5, 'c13680b51ded0fb44dff2d8f86ac8bb1');
  assert.equal(
    kerasWeightsFile({ name: 'InceptionV3' }).url,
    `${KERAS}/inception_v3/inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5`,
  );
  assert.equal(kerasWeightsFile({ name: 'inceptionv3' }).md5, 'bcbd6486424b2319ff4ef7d526e38f63');
  assert.equal(kerasWeightsFile({ name: 'resnet50' }).md5, '4d473c1dd8becc155b73f8504c6f6626');
  assert.equal(kerasWeightsFile({ name: 'resnet50' }).size, 94_765_736);
  assert.equal(kerasWeightsFile({ name: 'resnet101' }).md5, '88cf7a10940856eca736dc7b7e228a21');
  assert.equal(
    kerasWeightsFile({ name: 'resnet152' }).url,
    `${KERAS}/resnet/resnet152_weights_tf_dim_ordering_tf_kernels_notop.h5`,
  );

  const mnv2 = kerasWeightsFile({ name: 'mobilenetv2', alpha: 1.0, inputSize: 160 });
  assert.equal(mnv2.url, `${KERAS}/mobilenet_v2/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_160_no_top.h5`);
  assert.equal(mnv2.md5, undefined, 'Keras publishes no hash for MobileNetV2');
  assert.equal(mnv2.size, 9_406_464);
  assert.equal(
    kerasWeightsFile({ name: 'mobilenetv2', alpha: 0.35, inputSize: 96 }).fileName,
    'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5',
  );
  const odd = kerasWeightsFile({ name: 'mobilenetv2', alpha: 0.35, inputSize: 150 });
  assert.equal(odd.fileName, 'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5');
  assert.equal(odd.size, 2_019_640);
  assert.deepEqual(weightsFallback({ name: 'mobilenetv2', inputSize: 150 }), { requested: 150, used: 224 });
  assert.equal(weightsFallback({ name: 'mobilenetv2', inputSize: 160 }), null);
  assert.equal(
    kerasWeightsFile({ name: 'mobilenetv2', alpha: 0.5 }).fileName,
    'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_224_no_top.h5',
  );
  assert.equal(
    kerasWeightsFile({ name: 'mobilenetv1', alpha: 0.25, inputSize: 128 }).url,
    `${KERAS}/mobilenet/mobilenet_2_5_128_tf_no_top.h5`,
  );
  assert.throws(
    () => kerasWeightsFile({ name: 'mobilenetv2', alpha: 0.6 }),
    /alpha 0\.35, 0\.5, 0\.75, 1, 1\.3, 1\.4, not 0\.6/,
  );
  assert.throws(() => kerasWeightsFile({ name: 'vgg16' }), /no official Keras ImageNet weights for model "vgg16"/);
});

test('weights dir: option > TRANSFERLAB_WEIGHTS_DIR > <cache>/models', () => {
  const weightsDir = (flags: LocationFlags, env: NodeJS.ProcessEnv) => resolveLocations(flags, env).weightsDir;
  assert.equal(weightsDir({ weightsDir: '/a' }, { TRANSFERLAB_WEIGHTS_DIR: '/b' }), '/a');
  assert.equal(weightsDir({}, { TRANSFERLAB_WEIGHTS_DIR: '/b', TRANSFERLAB_CACHE_DIR: '/c' }), '/b');
  assert.equal(weightsDir({}, { TRANSFERLAB_CACHE_DIR: '/c' }), '/c/models');
});

let server: Server;
let origin = '';
let served: Buffer;
let requests = 0;
let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-wdl-'));
  const src = join(dir, 'src.h5');
  await writeKerasH5(src, [
    { name: 'input_1', weights: [] },
    {
      name: 'conv1/conv',
      weights: [
        { name: 'conv1/conv/kernel:0', shape: [3, 3, 3, 2], values: Float32Array.from({ length: 54 }, (_, i) => i) },
      ],
    },
  ]);
  served = readFileSync(src);
  server = createServer((req, res) => {
    requests++;
    if (req.url !== '/keras/weights_notop.h5') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': served.length }).end(served);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

test('downloads once with the md5 checked, then uses the local copy', async () => {
  const weights = join(dir, 'ok');
  const file = { url: `${origin}/keras/weights_notop.h5`, fileName: 'weights_notop.h5', md5: md5(served) };
  requests = 0;
  const path = await resolveWeights(
    { name: 'densenet121' },
    { file, weightsDir: resolveLocations({}, { TRANSFERLAB_WEIGHTS_DIR: weights }).weightsDir, progress: 'none' },
  );
  assert.equal(path, join(weights, 'weights_notop.h5'));
  assert.equal(requests, 1);
  const contents = await readKerasH5(path);
  assert.deepEqual(contents.layers[0]!.weights[0]!.shape, [3, 3, 3, 2]);
  await resolveWeights({ name: 'densenet121' }, { file, weightsDir: weights, progress: 'none' });
  assert.equal(requests, 1, 'no second download');
  // Offline with the file present works too.
  assert.equal(await resolveWeights({ name: 'densenet121' }, { file, weightsDir: weights, download: false }), path);
});

test('an md5 mismatch is one error naming the URL and leaves no file behind', async () => {
  const weights = join(dir, 'bad');
  const file = { url: `${origin}/keras/weights_notop.h5`, fileName: 'weights_notop.h5', md5: '0'.repeat(32) };
  await assert.rejects(
    resolveWeights({ name: 'densenet121' }, { file, weightsDir: weights, progress: 'none' }),
    (err: Error) => {
      assert.ok(err.message.includes(file.url));
      assert.match(err.message, /md5/);
      assert.ok(!err.message.includes('\n'));
      return true;
    },
  );
  assert.ok(!existsSync(join(weights, 'weights_notop.h5')));
  assert.deepEqual(existsSync(weights) ? readdirSync(weights) : [], []);
});

test('a local copy with the wrong md5 is reported offline, and replaced online', async () => {
  const weights = join(dir, 'corrupt');
  const file = { url: `${origin}/keras/weights_notop.h5`, fileName: 'weights_notop.h5', md5: md5(served) };
  await resolveWeights({ name: 'densenet121' }, { file, weightsDir: weights, progress: 'none' });
  await writeFile(join(weights, 'weights_notop.h5'), 'garbage');
  await assert.rejects(
    resolveWeights({ name: 'densenet121' }, { file, weightsDir: weights, download: false }),
    /weights_notop\.h5 has md5 [0-9a-f]{32}, expected/,
  );
  await resolveWeights({ name: 'densenet121' }, { file, weightsDir: weights, progress: 'none' });
  assert.equal(md5(readFileSync(join(weights, 'weights_notop.h5'))), md5(served));
});

test('offline with no file: one error naming the official URL and the expected path', async () => {
  const weights = join(dir, 'empty');
  await assert.rejects(
    resolveWeights({ name: 'densenet121' }, { weightsDir: weights, download: false }),
    (err: Error) => {
      assert.ok(err.message.includes(`${KERAS}/densenet/densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5`));
      assert.ok(err.message.includes(join(weights, 'densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5')));
      assert.ok(!err.message.includes('\n'));
      return true;
    },
  );
  // Unreachable host: the download error names the URL and the destination too.
  const file = { url: 'http://127.0.0.1:9/none.h5', fileName: 'none.h5' };
  await assert.rejects(resolveWeights({ name: 'x' }, { file, weightsDir: weights, progress: 'none' }), (err: Error) => {
    assert.ok(err.message.includes(file.url) && err.message.includes(join(weights, 'none.h5')), err.message);
    return true;
  });
});

test("loadImagenetWeights: resolve + load by order, with Keras' 224-px fallback reported", async () => {
  await tf.setBackend('cpu');
  const input = tf.input({ shape: [8, 8, 3] });
  const out = tf.layers
    .conv2d({ filters: 2, kernelSize: 3, useBias: false, name: 'Conv1' })
    .apply(input) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  const file = { url: `${origin}/keras/weights_notop.h5`, fileName: 'weights_notop.h5', md5: md5(served) };
  const warnings: string[] = [];
  const result = await loadImagenetWeights(
    model,
    { name: 'mobilenetv2', alpha: 0.35, inputSize: 150 },
    {
      file,
      weightsDir: join(dir, 'imagenet'),
      progress: 'none',
      onWarning: (m) => warnings.push(m),
    },
  );
  assert.deepEqual(result.fallback, { requested: 150, used: 224 });
  assert.match(warnings[0]!, /150 px.*224 px/);
  assert.deepEqual(
    Array.from(model.getLayer('Conv1').getWeights()[0]!.dataSync()),
    Array.from({ length: 54 }, (_, i) => i),
  );
  model.dispose();
});

test('loadImagenetWeights prints the 224-px fallback warning on stderr unless told where to send it', async () => {
  await tf.setBackend('cpu');
  const input = tf.input({ shape: [8, 8, 3] });
  const out = tf.layers
    .conv2d({ filters: 2, kernelSize: 3, useBias: false, name: 'Conv1' })
    .apply(input) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  const file = { url: `${origin}/keras/weights_notop.h5`, fileName: 'weights_notop.h5', md5: md5(served) };
  const warn = mock.method(console, 'warn', () => {});
  try {
    const opts = { file, weightsDir: join(dir, 'imagenet'), progress: 'none' as const };
    await loadImagenetWeights(model, { name: 'mobilenetv2', alpha: 0.35, inputSize: 150 }, opts);
    assert.equal(warn.mock.callCount(), 1);
    assert.match(
      String(warn.mock.calls[0]!.arguments[0]),
      /mobilenetv2: no ImageNet weights for 150 px; loading the 224 px file/,
    );
    await loadImagenetWeights(model, { name: 'mobilenetv2', alpha: 0.35, inputSize: 160 }, opts);
    assert.equal(warn.mock.callCount(), 1, 'no warning when Keras has a file for the size');
  } finally {
    warn.mock.restore();
    model.dispose();
  }
});
