import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildBase, type BaseSpec } from '../../src/models/builders/index.ts';
import { loadKerasH5Weights, writeKerasH5 } from '../../src/models/weights/keras-h5.ts';
import type { H5Layer } from '../../src/models/weights/keras-h5.ts';
import { sharedDir } from '../helpers/shared.ts';

// Files laid out like the official no-top downloads, built from the independent tf.keras layer
// listings in ../shared/docs/keras-layers (order and shapes) with the names the real files use
// (JCM names for MobileNetV2, Keras-2.0 one-based auto names for InceptionV3, `conv1/conv` for
// DenseNet). Every weight is filled with its own marker, so a value in the wrong variable shows.

let dir = '';
before(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'tl-h5k-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const layersDir = () => join(sharedDir(), 'docs', 'keras-layers');

function listing(file: string, nameMap: Record<string, string> = {}): H5Layer[] {
  let marker = 0;
  return readFileSync(join(layersDir(), file), 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      const [, name, , , , weights = ''] = line.split('\t') as string[];
      const fileName = nameMap[name!] ?? name!;
      return {
        name: fileName,
        weights: weights
          .split(';')
          .filter(Boolean)
          .map((spec) => {
            const m = /^(.*?)\/([^/]+):0\[(.*)\]$/.exec(spec)!;
            const shape = m[3]!.split(',').map((d) => Number(d.trim()));
            marker++;
            return {
              name: `${fileName}/${m[2]}:0`,
              shape,
              values: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(marker),
            };
          }),
      };
    });
}

async function check(spec: BaseSpec, layers: H5Layer[], file: string): Promise<void> {
  const path = join(dir, file);
  await writeKerasH5(path, layers, { strings: 'fixed' });
  const model = buildBase(spec);
  const result = await loadKerasH5Weights(model, path);
  const fileWeights = layers.flatMap((l) => l.weights);
  const modelWeights = model.layers.flatMap((l) => l.weights);
  assert.equal(result.weightsLoaded, fileWeights.length);
  assert.equal(modelWeights.length, fileWeights.length);
  modelWeights.forEach((variable, i) => {
    const want = fileWeights[i]!.values[0]!;
    const values = variable.read().dataSync();
    assert.ok(values[0] === want && values[values.length - 1] === want, `${variable.name} ← ${fileWeights[i]!.name}`);
  });
  model.dispose();
}

test('MobileNetV2 0.35 no-top file (JCM names) loads into the rebuilt model', async () => {
  const map = JSON.parse(readFileSync(join(layersDir(), 'mobilenet_v2_keras_to_weightfile_names.json'), 'utf8'));
  const layers = listing('MobileNetV2_0.35_tfk2_top0_160.txt', map);
  assert.ok(layers.some((l) => l.name === 'mobl1_conv_1_expand'));
  await check({ name: 'mobilenetv2', alpha: 0.35, inputSize: 160 }, layers, 'mnv2.h5');
});

test('DenseNet121 no-top file (conv1/conv nested groups) loads into the rebuilt model', async () => {
  const layers = listing('DenseNet121_tfk2_top0_160.txt');
  assert.equal(layers[2]!.name, 'conv1/conv');
  await check({ name: 'densenet121', inputSize: 160 }, layers, 'densenet121.h5');
});

test('InceptionV3 no-top file (one-based auto names, scale=false BN, interleaved order) loads', async () => {
  const map = JSON.parse(readFileSync(join(layersDir(), 'inception_v3_tfkeras_to_weightfile_names.json'), 'utf8'));
  const layers = listing('InceptionV3_tfk2_top0_160.txt', map);
  assert.ok(layers.some((l) => l.name === 'conv2d_94'));
  await check({ name: 'inceptionv3', inputSize: 160 }, layers, 'inception_v3.h5');
});

test('ResNet50 no-top file loads into the rebuilt model', async () => {
  await check({ name: 'resnet50', inputSize: 160 }, listing('ResNet50_tfk2_top0_160.txt'), 'resnet50.h5');
});
