import * as tf from '@tensorflow/tfjs';
import h5wasm from 'h5wasm/node';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildClassifier } from '../../src/models/classifier.ts';
import {
  loadKerasH5Weights,
  readKerasH5,
  saveKerasH5Weights,
  writeKerasH5,
} from '../../src/models/weights/keras-h5.ts';
import type { H5Layer } from '../../src/models/weights/keras-h5.ts';

let dir = '';
before(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'tl-h5-'));
});
after(() => rm(dir, { recursive: true, force: true }));

/**
 * A DenseNet/MobileNetV2/InceptionV3-flavoured stem with the real Keras names and layouts:
 * `conv1/conv` (a slash name → nested HDF5 groups), a BN with gamma, a depthwise kernel, an
 * InceptionV3-style BN with scale=false, a conv with bias, weightless layers in between.
 */
function stem(size = 16): tf.LayersModel {
  const input = tf.input({ shape: [size, size, 3], name: 'input_1' });
  let x = tf.layers
    .zeroPadding2d({
      padding: [
        [3, 3],
        [3, 3],
      ],
      name: 'zero_padding2d',
    })
    .apply(input) as tf.SymbolicTensor;
  x = tf.layers
    .conv2d({ filters: 8, kernelSize: 7, strides: 2, useBias: false, name: 'conv1/conv' })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ epsilon: 1.001e-5, name: 'conv1/bn' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.activation({ activation: 'relu', name: 'conv1/relu' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false, name: 'block_1_depthwise' })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ scale: false, name: 'batch_normalization' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ maxValue: 6, name: 'block_1_depthwise_relu' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'conv2_block1_1_conv' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x, name: 'stem' });
}

/** What a Keras 2 writer would put in the file for `stem()`, with deterministic values and the given layer names. */
function stemFileLayers(
  names: string[] = ['conv1/conv', 'conv1/bn', 'block_1_depthwise', 'batch_normalization', 'conv2_block1_1_conv'],
): H5Layer[] {
  let seed = 1;
  const values = (n: number) => Float32Array.from({ length: n }, () => (seed++ % 97) / 97 + 0.01);
  const w = (layer: string, v: string, shape: number[]) => ({
    name: `${layer}/${v}:0`,
    shape,
    values: values(shape.reduce((a, b) => a * b, 1)),
  });
  const [c1, bn1, dw, bn2, c2] = names as [string, string, string, string, string];
  return [
    { name: 'input_1', weights: [] },
    { name: 'zero_padding2d', weights: [] },
    { name: c1, weights: [w(c1, 'kernel', [7, 7, 3, 8])] },
    {
      name: bn1,
      weights: [w(bn1, 'gamma', [8]), w(bn1, 'beta', [8]), w(bn1, 'moving_mean', [8]), w(bn1, 'moving_variance', [8])],
    },
    { name: 'conv1/relu', weights: [] },
    { name: dw, weights: [w(dw, 'depthwise_kernel', [3, 3, 8, 1])] },
    { name: bn2, weights: [w(bn2, 'beta', [8]), w(bn2, 'moving_mean', [8]), w(bn2, 'moving_variance', [8])] },
    { name: 'block_1_depthwise_relu', weights: [] },
    { name: c2, weights: [w(c2, 'kernel', [1, 1, 8, 4]), w(c2, 'bias', [4])] },
  ];
}

function assertLoaded(model: tf.LayersModel, fileLayers: H5Layer[]): void {
  const withWeights = model.layers.filter((l) => l.weights.length > 0);
  const fromFile = fileLayers.filter((l) => l.weights.length > 0);
  assert.equal(withWeights.length, fromFile.length);
  withWeights.forEach((layer, i) => {
    layer.weights.forEach((variable, j) => {
      const expected = fromFile[i]!.weights[j]!;
      assert.deepEqual(variable.shape, expected.shape, `${layer.name} ${variable.name}`);
      assert.deepEqual(
        variable.read().dataSync(),
        expected.values,
        `${layer.name} ${variable.originalName} ← ${expected.name}`,
      );
    });
  });
}

test('Keras 2 file layout: nested groups for slash names, full weight names, empty float64 weight_names', async () => {
  const path = join(dir, 'layout.h5');
  await writeKerasH5(path, stemFileLayers(), { strings: 'fixed' });
  await h5wasm.ready;
  const f = new h5wasm.File(path, 'r');
  try {
    assert.deepEqual(
      f.get_attribute('layer_names', false),
      stemFileLayers().map((l) => l.name),
    );
    const kernel = f.get('conv1/conv/conv1/conv/kernel:0') as InstanceType<typeof h5wasm.Dataset>;
    assert.deepEqual(kernel.shape, [7, 7, 3, 8]);
    assert.equal(kernel.dtype, '<f');
    const padding = f.get('zero_padding2d') as InstanceType<typeof h5wasm.Group>;
    const empty = padding.get_attribute('weight_names', false);
    assert.ok(empty instanceof Float64Array && empty.length === 0, 'np.asarray([]) is float64');
    assert.equal(padding.attrs['weight_names']!.metadata.size, 8);
    assert.equal(f.attrs['layer_names']!.metadata.vlen, false);
  } finally {
    f.close();
  }
});

test(
  'loads by order into the right variables: fixed-length strings, ' +
    'file names that differ from the model (JCM / one-based names)',
  async () => {
    const path = join(dir, 'fixed.h5');
    // Names as in the MobileNetV2 and InceptionV3 files: different from the model, ignored by order.
    const layers = stemFileLayers([
      'conv1/conv',
      'bn_Conv1',
      'mobl1_conv_1_depthwise',
      'batch_normalization_1',
      'conv2d_1',
    ]);
    await writeKerasH5(path, layers, { strings: 'fixed' });
    const model = stem();
    const result = await loadKerasH5Weights(model, path);
    assert.equal(result.target, 'model');
    assert.equal(result.layersLoaded, 5);
    assert.equal(result.weightsLoaded, 11);
    assertLoaded(model, layers);
    // scale=false BN: beta, moving_mean, moving_variance in that order.
    const bn = model.getLayer('batch_normalization');
    assert.deepEqual(
      bn.weights.map((w) => w.originalName),
      ['batch_normalization/beta', 'batch_normalization/moving_mean', 'batch_normalization/moving_variance'],
    );
    model.dispose();
  },
);

test('variable-length strings, layer_names split in layer_names0/1, full-model files under model_weights', async () => {
  const path = join(dir, 'vlen-split.h5');
  const layers = stemFileLayers();
  await writeKerasH5(path, layers, { strings: 'vlen', attributeLimit: 120, underModelWeights: true });
  await h5wasm.ready;
  const f = new h5wasm.File(path, 'r');
  const mw = f.get('model_weights') as InstanceType<typeof h5wasm.Group>;
  const attrNames = Object.keys(mw.attrs)
    .filter((n) => n.startsWith('layer_names'))
    .sort();
  assert.ok(attrNames.length >= 2 && attrNames[0] === 'layer_names0', attrNames.join(','));
  assert.equal(mw.attrs['layer_names0']!.metadata.vlen, true);
  f.close();

  const contents = await readKerasH5(path);
  assert.equal(contents.weightsRoot, 'model_weights');
  assert.deepEqual(
    contents.layerNames,
    layers.map((l) => l.name),
  );
  const model = stem();
  await loadKerasH5Weights(model, path);
  assertLoaded(model, layers);
  model.dispose();
});

test('a shape mismatch is one error naming the layer, the file and both shapes, and assigns nothing', async () => {
  const path = join(dir, 'mismatch.h5');
  const layers = stemFileLayers();
  layers[8] = {
    name: 'conv2_block1_1_conv',
    weights: [
      { name: 'conv2_block1_1_conv/kernel:0', shape: [1, 1, 8, 5], values: new Float32Array(40) },
      { name: 'conv2_block1_1_conv/bias:0', shape: [5], values: new Float32Array(5) },
    ],
  };
  await writeKerasH5(path, layers);
  const model = stem();
  const before = model.getLayer('conv1/conv').getWeights()[0]!.dataSync().slice();
  await assert.rejects(loadKerasH5Weights(model, path), (err: Error) => {
    assert.ok(err.message.includes(path), err.message);
    assert.match(err.message, /conv2_block1_1_conv/);
    assert.match(err.message, /\[1,1,8,4\]/);
    assert.match(err.message, /\[1,1,8,5\]/);
    assert.ok(!err.message.includes('\n'));
    return true;
  });
  assert.deepEqual(model.getLayer('conv1/conv').getWeights()[0]!.dataSync(), before, 'earlier layers untouched');
  model.dispose();
});

test('a layer-count mismatch is one error naming the file and both counts', async () => {
  const path = join(dir, 'short.h5');
  await writeKerasH5(path, stemFileLayers().slice(0, 6));
  const model = stem();
  await assert.rejects(loadKerasH5Weights(model, path), (err: Error) => {
    assert.ok(err.message.includes(path));
    assert.match(err.message, /3 layers with weights.*"stem" has 5/);
    return true;
  });
  // A BN with a missing weight: count of weights within a layer.
  const path2 = join(dir, 'bn-missing.h5');
  const layers = stemFileLayers();
  layers[3] = { ...layers[3]!, weights: layers[3]!.weights.slice(1) };
  await writeKerasH5(path2, layers);
  await assert.rejects(loadKerasH5Weights(model, path2), /layer "conv1\/bn".*expects 4 weights.*\[8\].*has 3/);
  model.dispose();
});

test('a classifier loads no-top weights into its nested base; inlined base + dense head loads the prefix', async () => {
  const path = join(dir, 'base.h5');
  const layers = stemFileLayers();
  await writeKerasH5(path, layers);

  const base = stem(32);
  const classifier = buildClassifier(base, {
    inputSize: 32,
    resize: 'bilinear',
    head: { pooling: 'avg', dense: [{ units: 6 }] },
    numClasses: 10,
  });
  const head = classifier.getLayer('predictions').getWeights()[0]!.dataSync().slice();
  const nested = await loadKerasH5Weights(classifier, path);
  assert.equal(nested.target, 'nested');
  assert.equal(nested.targetName, 'stem');
  assertLoaded(base, layers);
  assert.deepEqual(
    classifier.getLayer('predictions').getWeights()[0]!.dataSync(),
    head,
    'head keeps its initialisation',
  );

  const inlined = stem(16);
  const gap = tf.layers.globalAveragePooling2d({ name: 'avg_pool' }).apply(inlined.outputs[0]!) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 10, name: 'predictions' }).apply(gap) as tf.SymbolicTensor;
  const flat = tf.model({ inputs: inlined.inputs, outputs: out });
  const prefix = await loadKerasH5Weights(flat, path);
  assert.equal(prefix.target, 'prefix');
  assertLoaded(inlined, layers);
  classifier.dispose();
  flat.dispose();
});

test('byName matches layers by name and skips file layers the model lacks', async () => {
  const path = join(dir, 'byname.h5');
  const layers = stemFileLayers();
  // Reversed order and an extra layer: by order would fail, by name works.
  const shuffled = [
    layers[8]!,
    { name: 'extra_dense', weights: [{ name: 'extra_dense/kernel:0', shape: [2, 2], values: new Float32Array(4) }] },
    ...layers.slice(0, 8),
  ];
  await writeKerasH5(path, shuffled);
  const model = stem();
  await assert.rejects(loadKerasH5Weights(model, path));
  const result = await loadKerasH5Weights(model, path, { byName: true });
  assert.equal(result.layersLoaded, 5);
  assertLoaded(model, layers);
  model.dispose();
});

test('saveKerasH5Weights writes what loadKerasH5Weights reads back', async () => {
  const path = join(dir, 'roundtrip.h5');
  const a = stem();
  await saveKerasH5Weights(a, path);
  const contents = await readKerasH5(path);
  assert.deepEqual(
    contents.layerNames,
    a.layers.map((l) => l.name),
  );
  assert.equal(contents.layers[0]!.weights[0]!.name, 'conv1/conv/kernel:0');
  const b = stem();
  await loadKerasH5Weights(b, path);
  a.layers.forEach((layer, i) =>
    layer.getWeights().forEach((w, j) => assert.deepEqual(b.layers[i]!.getWeights()[j]!.dataSync(), w.dataSync())),
  );
  a.dispose();
  b.dispose();
});

test('unreadable inputs fail with one line naming the file', async () => {
  await assert.rejects(readKerasH5(join(dir, 'absent.h5')), /absent\.h5: weights file not found/);
  const junk = join(dir, 'junk.h5');
  await writeFile(junk, 'not hdf5');
  await assert.rejects(readKerasH5(junk), /junk\.h5: not a readable HDF5 file/);
  const k3 = join(dir, 'k3.weights.h5');
  await h5wasm.ready;
  const f = new h5wasm.File(k3, 'w');
  f.create_group('layers');
  f.close();
  await assert.rejects(readKerasH5(k3), /Keras 3/);
});

test('partly frozen layers get each array in Keras order (gamma, beta, moving_mean, moving_variance)', async () => {
  const path = join(dir, 'frozen.h5');
  const layers = stemFileLayers();
  await writeKerasH5(path, layers);
  const model = stem();
  const bn = model.getLayer('conv1/bn');
  bn.weights.find((w) => w.originalName.endsWith('gamma'))!.trainable = false;
  assert.equal(bn.weights[0]!.originalName, 'conv1/bn/beta', 'tfjs lists trainable variables first');
  model.getLayer('conv2_block1_1_conv').trainable = false;
  await loadKerasH5Weights(model, path);
  const byName = new Map(bn.weights.map((w) => [w.originalName.split('/').pop()!, w.read().dataSync()]));
  for (const w of layers[3]!.weights)
    assert.deepEqual(byName.get(w.name.split('/').pop()!.replace(':0', '')), w.values, w.name);
  model.dispose();
});
