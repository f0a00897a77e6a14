import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { buildBase } from '../../src/models/builders/index.ts';
import type { BaseName } from '../../src/models/names.ts';
import { buildClassifier, classifierBase } from '../../src/models/classifier.ts';
import { applyFreezing } from '../../src/models/freezing.ts';
import { formatMacs, modelCost } from '../../src/models/cost.ts';

before(async () => {
  await tf.setBackend('cpu');
});

test('counts conv, depthwise and dense multiply-adds and parameters by hand', () => {
  const input = tf.input({ shape: [8, 8, 3] });
  // 8·8·3·3·3·4
  let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'c' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'bn' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', depthMultiplier: 2, name: 'd' })
    .apply(x) as tf.SymbolicTensor; // 4·4·3·3·4·2
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: 5, name: 'fc' }).apply(x) as tf.SymbolicTensor; // 128·5
  const model = tf.model({ inputs: input, outputs: x });
  model.getLayer('c').trainable = false;
  const cost = modelCost(model);
  assert.equal(cost.breakdown.conv, 8 * 8 * 3 * 3 * 3 * 4);
  assert.equal(cost.breakdown.depthwise, 4 * 4 * 3 * 3 * 4 * 2);
  assert.equal(cost.breakdown.dense, 128 * 5);
  assert.equal(cost.macsPerImage, 6912 + 1152 + 640);
  const convParams = 3 * 3 * 3 * 4 + 4;
  const total = convParams + 4 * 4 + (3 * 3 * 4 * 2 + 8) + (128 * 5 + 5);
  assert.equal(cost.totalParams, total);
  assert.equal(cost.nonTrainableParams, convParams + 8, 'frozen conv + BN moving statistics');
  assert.equal(cost.trainableParams, total - convParams - 8);
  assert.equal(cost.breakdown.elementwise, 8 * 8 * 4, 'BN: one op per output element, not in macsPerImage');
  assert.equal(formatMacs(3.87e9), '3.87 G');
  model.dispose();
});

test('a classifier counts its nested base once; a base shared with a cut model is not counted twice', () => {
  const base = buildBase({ name: 'mobilenetv2', alpha: 0.35, inputSize: 96 });
  const baseCost = modelCost(base);
  const classifier = buildClassifier(base, {
    inputSize: 96,
    resize: 'bilinear',
    head: { pooling: 'avg' },
    numClasses: 10,
  });
  const cost = modelCost(classifier);
  assert.equal(cost.macsPerImage, baseCost.macsPerImage + 1280 * 10);
  assert.equal(cost.totalParams, baseCost.totalParams + 1280 * 10 + 10);
  const half = tf.model({ inputs: base.inputs, outputs: base.getLayer('block_6_expand').output as tf.SymbolicTensor });
  assert.ok(modelCost(half).macsPerImage < baseCost.macsPerImage);
  assert.equal(modelCost(base).macsPerImage, baseCost.macsPerImage);
  classifier.dispose();
});

// Published forward mult-adds (papers / keras.io): MobileNetV2 1.0 @224 300 M; DenseNet121 @224
// 2.87 G; ResNet50 @224 3.9 G (Keras' v1 ResNet: stride on the 1×1 conv); InceptionV3 @299 5.7 G.
// Base models without the 1000-way top (≤ 2 M MACs, well inside the 5 % tolerance).
const PUBLISHED: [BaseName, number, number, number][] = [
  ['mobilenetv2', 224, 300e6, 2_257_984],
  ['densenet121', 224, 2.87e9, 7_037_504],
  ['resnet50', 224, 3.9e9, 23_587_712],
  ['inceptionv3', 299, 5.7e9, 21_802_784],
];

for (const [name, size, macs, params] of PUBLISHED) {
  test(`${name} at ${size} px: multiply-adds within 5 % of ${formatMacs(macs)}, parameters as in Keras`, () => {
    const model = buildBase({ name, inputSize: size });
    const cost = modelCost(model);
    assert.ok(
      Math.abs(cost.macsPerImage / macs - 1) < 0.05,
      `${name}: ${formatMacs(cost.macsPerImage)} (${cost.macsPerImage})`,
    );
    assert.equal(cost.totalParams, params);
    model.dispose();
  });
}

test(
  'trainable / non-trainable split after freezing matches Keras ' +
    '(DenseNet121 last 250; MobileNetV2 tutorial fine_tune_at 100)',
  () => {
    const densenet = buildBase({ name: 'densenet121', inputSize: 160 });
    applyFreezing(densenet, { kind: 'last', n: 250 });
    const d = modelCost(densenet);
    assert.deepEqual([d.trainableParams, d.nonTrainableParams], [5_129_792, 1_907_712]);
    densenet.dispose();

    const mnv2 = buildBase({ name: 'mobilenetv2', inputSize: 160 });
    const classifier = buildClassifier(mnv2, {
      inputSize: 160,
      resize: 'bilinear',
      head: { pooling: 'avg' },
      numClasses: 2,
    });
    applyFreezing(classifierBase(classifier), { kind: 'from', layer: 'block_11_expand_relu' });
    const c = modelCost(classifier);
    // The TF tutorial's printout with its 1,281-parameter head, here a 2-way softmax (2,562).
    assert.deepEqual([c.trainableParams, c.nonTrainableParams], [1_861_440 + 2_562, 396_544]);
    classifier.dispose();
  },
);
