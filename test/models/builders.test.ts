import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { buildBase, type BaseSpec } from '../../src/models/builders/index.ts';
import { countWeights } from '../../src/models/freezing.ts';
import { sharedDir } from '../helpers/shared.ts';

before(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

interface ListingEntry {
  index: number;
  name: string;
  className: string;
  trainable: number;
  nonTrainable: number;
  shapes: number[][];
}

/** Parses one of shared/docs/keras-layers/*.txt (tab-separated, one `model.layers` entry a line). */
function readListing(file: string): ListingEntry[] {
  const text = readFileSync(join(sharedDir(), 'docs', 'keras-layers', file), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [index, name, className, trainable, nonTrainable, weights = ''] = line.split('\t');
      const shapes = weights
        .split(';')
        .filter(Boolean)
        .map((w) => JSON.parse(w.slice(w.lastIndexOf('['))) as number[]);
      return {
        index: Number(index),
        name: name!,
        className: className!,
        trainable: Number(trainable),
        nonTrainable: Number(nonTrainable),
        shapes,
      };
    });
}

const CASES: {
  file: string;
  spec: BaseSpec;
  layers: number;
  total: number;
  trainable: number;
  nonTrainable: number;
}[] = [
  {
    file: 'DenseNet121_tfk2_top0_160.txt',
    spec: { name: 'densenet121', inputSize: 160 },
    layers: 427,
    total: 7_037_504,
    trainable: 6_953_856,
    nonTrainable: 83_648,
  },
  {
    file: 'MobileNetV2_1.0_tfk2_top0_160.txt',
    spec: { name: 'mobilenetv2', inputSize: 160 },
    layers: 154,
    total: 2_257_984,
    trainable: 2_223_872,
    nonTrainable: 34_112,
  },
  {
    file: 'MobileNetV2_0.35_tfk2_top0_160.txt',
    spec: { name: 'mobilenetv2', alpha: 0.35, inputSize: 160 },
    layers: 154,
    total: 410_208,
    trainable: 396_128,
    nonTrainable: 14_080,
  },
  {
    file: 'InceptionV3_tfk2_top0_160.txt',
    spec: { name: 'inceptionv3', inputSize: 160 },
    layers: 311,
    total: 21_802_784,
    trainable: 21_768_352,
    nonTrainable: 34_432,
  },
  {
    file: 'ResNet50_tfk2_top0_160.txt',
    spec: { name: 'resnet50', inputSize: 160 },
    layers: 175,
    total: 23_587_712,
    trainable: 23_534_592,
    nonTrainable: 53_120,
  },
  {
    file: 'ResNet101_tfk2_top0_160.txt',
    spec: { name: 'resnet101', inputSize: 160 },
    layers: 345,
    total: 42_658_176,
    trainable: 42_552_832,
    nonTrainable: 105_344,
  },
];

function paramCounts(model: tf.LayersModel): { total: number; trainable: number; nonTrainable: number } {
  const trainable = countWeights(model.trainableWeights);
  const nonTrainable = countWeights(model.nonTrainableWeights);
  return { total: trainable + nonTrainable, trainable, nonTrainable };
}

for (const c of CASES) {
  test(
    `${c.spec.name}${c.spec.alpha ? ` α=${c.spec.alpha}` : ''} at 160 ` +
      `px matches the tf.keras include_top=False listing entry for entry`,
    () => {
      const listing = readListing(c.file);
      assert.equal(listing.length, c.layers, 'listing length');
      const model = buildBase(c.spec);
      try {
        assert.equal(model.layers.length, c.layers);
        model.layers.forEach((layer, i) => {
          const want = listing[i]!;
          const where = `layer ${i}`;
          assert.equal(layer.name, want.name, `${where} name`);
          assert.equal(layer.getClassName(), want.className, `${where} (${want.name}) class`);
          assert.deepEqual(
            layer.weights.map((w) => w.shape),
            want.shapes,
            `${where} (${want.name}) weight shapes`,
          );
          const trainable = countWeights(layer.trainableWeights);
          const nonTrainable = countWeights(layer.nonTrainableWeights);
          assert.equal(trainable, want.trainable, `${where} (${want.name}) trainable params`);
          assert.equal(nonTrainable, want.nonTrainable, `${where} (${want.name}) non-trainable params`);
        });
        assert.deepEqual(paramCounts(model), { total: c.total, trainable: c.trainable, nonTrainable: c.nonTrainable });
        assert.equal(model.countParams(), c.total);
      } finally {
        model.dispose();
      }
    },
  );
}

test('MobileNet v1 α=0.25 at 224 px has the names and weight shapes of the Keras 2 pretrained model', () => {
  const json = JSON.parse(readFileSync(join(sharedDir(), 'models', 'mobilenet_v1_0.25_224', 'model.json'), 'utf8')) as {
    weightsManifest: { weights: { name: string; shape: number[] }[] }[];
  };
  const reference = new Map(json.weightsManifest.flatMap((g) => g.weights).map((w) => [w.name, w.shape]));
  const model = buildBase({ name: 'mobilenetv1', alpha: 0.25, inputSize: 224 });
  try {
    const ours = model.weights.map((w) => [w.originalName, w.shape] as const);
    assert.equal(ours.length, 135); // the pretrained file's 137 minus the conv_preds kernel and bias
    for (const [name, shape] of ours) assert.deepEqual(shape, reference.get(name), name);
    const names = model.layers.map((l) => l.name);
    assert.deepEqual(names.slice(0, 11), [
      'input_1',
      'conv1',
      'conv1_bn',
      'conv1_relu',
      'conv_dw_1',
      'conv_dw_1_bn',
      'conv_dw_1_relu',
      'conv_pw_1',
      'conv_pw_1_bn',
      'conv_pw_1_relu',
      'conv_pad_2',
    ]);
    assert.deepEqual(
      names.filter((n) => n.startsWith('conv_pad_')),
      ['conv_pad_2', 'conv_pad_4', 'conv_pad_6', 'conv_pad_12'],
    );
    assert.equal(model.layers.length, 86);
    assert.deepEqual(model.outputs[0]!.shape, [null, 7, 7, 256]);
  } finally {
    model.dispose();
  }
});

// Notop totals = keras.io include_top totals minus the 1000-way Dense (channels·1000 + 1000).
const TOTALS: [BaseSpec, number, number[]][] = [
  [{ name: 'densenet169', inputSize: 64 }, 14_307_880 - 1_665_000, [2, 2, 1664]],
  [{ name: 'densenet201', inputSize: 64 }, 20_242_984 - 1_921_000, [2, 2, 1920]],
  [{ name: 'resnet152', inputSize: 64 }, 60_419_944 - 2_049_000, [2, 2, 2048]],
  [{ name: 'mobilenetv1', inputSize: 64 }, 4_253_864 - 1_025_000, [2, 2, 1024]],
  [{ name: 'mobilenetv2', alpha: 1.4, inputSize: 64 }, 6_156_712 - 1_793_000, [2, 2, 1792]],
];
for (const [spec, total, outShape] of TOTALS) {
  test(`${spec.name}${spec.alpha ? ` α=${spec.alpha}` : ''}: ${total} parameters without the top`, () => {
    const model = buildBase(spec);
    try {
      assert.equal(model.countParams(), total);
      assert.deepEqual(model.outputs[0]!.shape, [null, ...outShape]);
    } finally {
      model.dispose();
    }
  });
}

test('output shapes at 160 px and at the minimum input size', () => {
  const cases: [BaseSpec, number[]][] = [
    [{ name: 'densenet121', inputSize: 32 }, [1, 1, 1024]],
    [{ name: 'mobilenetv2', alpha: 0.35, inputSize: 32 }, [1, 1, 1280]],
    [{ name: 'inceptionv3', inputSize: 75 }, [1, 1, 2048]],
    [{ name: 'inceptionv3', inputSize: 160 }, [3, 3, 2048]],
    [{ name: 'resnet50', inputSize: 32 }, [1, 1, 2048]],
    [{ name: 'mobilenetv1', alpha: 0.25, inputSize: 32 }, [1, 1, 256]],
  ];
  for (const [spec, shape] of cases) {
    const model = buildBase(spec);
    assert.deepEqual(model.outputs[0]!.shape, [null, ...shape], `${spec.name} at ${spec.inputSize}`);
    model.dispose();
  }
});

test('input sizes below the Keras minimum are refused, naming the model and the minimum', () => {
  assert.throws(
    () => buildBase({ name: 'inceptionv3', inputSize: 74 }),
    /^Error: inceptionv3: input size must be an integer of at least 75 px, got 74$/,
  );
  assert.throws(() => buildBase({ name: 'densenet121', inputSize: 31 }), /densenet121: .*at least 32 px, got 31/);
  assert.throws(() => buildBase({ name: 'mobilenetv2', inputSize: 16 }), /mobilenetv2: .*at least 32 px/);
  assert.throws(() => buildBase({ name: 'resnet50', inputSize: 20 }), /resnet50: .*at least 32 px/);
  assert.throws(() => buildBase({ name: 'mobilenetv1', inputSize: 8 }), /mobilenetv1: .*at least 32 px/);
  assert.throws(() => buildBase({ name: 'vgg16' as never, inputSize: 224 }), /unknown base model "vgg16"/);
  assert.throws(
    () => buildBase({ name: 'resnet50', alpha: 0.5, inputSize: 224 }),
    /alpha applies to mobilenetv1\/mobilenetv2 only/,
  );
});

test('MobileNetV2 odd input sizes get Keras correct_pad ((1,1),(1,1)) and still match parameter counts', () => {
  const model = buildBase({ name: 'mobilenetv2', inputSize: 97 });
  try {
    const pad = model.getLayer('block_1_pad').getConfig() as { padding: number[][] };
    assert.deepEqual(pad.padding, [
      [1, 1],
      [1, 1],
    ]);
    assert.equal(model.countParams(), 2_257_984);
    assert.deepEqual(model.outputs[0]!.shape, [null, 4, 4, 1280]);
  } finally {
    model.dispose();
  }
});

test('a forward pass of a small base runs and gives finite outputs', () => {
  const model = buildBase({ name: 'mobilenetv2', alpha: 0.35, inputSize: 32 });
  try {
    const y = tf.tidy(() => model.predict(tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 7)) as tf.Tensor);
    assert.deepEqual(y.shape, [2, 1, 1, 1280]);
    assert.ok(y.dataSync().every(Number.isFinite));
    y.dispose();
  } finally {
    model.dispose();
  }
});
