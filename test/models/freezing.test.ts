import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildBase } from '../../src/models/builders/index.ts';
import { buildClassifier } from '../../src/models/classifier.ts';
import { applyFreezing, countWeights } from '../../src/models/freezing.ts';
import { FreezableBatchNormalization } from '../../src/models/layers/freezable-batch-norm.ts';

before(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

test('DenseNet121 "last 250": the boundary falls inside conv4_block6 with Keras\' parameter split', () => {
  const base = buildBase({ name: 'densenet121', inputSize: 160 });
  try {
    const r = applyFreezing(base, { kind: 'last', n: 250 });
    assert.equal(r.firstTrainableIndex, 177);
    assert.equal(r.firstTrainableLayer, 'conv4_block6_0_relu');
    assert.equal(base.layers[176]!.name, 'conv4_block6_0_bn');
    assert.equal(base.layers[176]!.trainable, false);
    assert.equal(r.trainableLayers, 250);
    assert.equal(r.frozenLayers, 177);
    assert.equal(r.trainableParams, 5_129_792);
    assert.equal(r.nonTrainableParams, 1_907_712);
    assert.equal(countWeights(base.trainableWeights), 5_129_792);
    // Frozen BNs run in inference mode; trainable ones do not.
    assert.equal((base.getLayer('conv4_block6_0_bn') as FreezableBatchNormalization).frozen, true);
    assert.equal((base.getLayer('conv4_block6_1_bn') as FreezableBatchNormalization).frozen, false);
  } finally {
    base.dispose();
  }
});

test('MobileNetV2 fine_tune_at = 100 (the TF tutorial) leaves 1,861,440 trainable parameters', () => {
  const base = buildBase({ name: 'mobilenetv2', inputSize: 160 });
  try {
    const r = applyFreezing(base, { kind: 'from', layer: base.layers[100]!.name });
    assert.equal(r.firstTrainableLayer, 'block_11_expand_relu');
    assert.equal(r.trainableParams, 1_861_440);
    assert.equal(r.trainableParams + r.nonTrainableParams, 2_257_984);
    const same = applyFreezing(base, { kind: 'last', n: 154 - 100 });
    assert.equal(same.trainableParams, 1_861_440);
  } finally {
    base.dispose();
  }
});

test('none, all, last beyond the layer count, and re-freezing the same base', () => {
  const base = buildBase({ name: 'mobilenetv2', alpha: 0.35, inputSize: 32 });
  try {
    const all = applyFreezing(base, { kind: 'all' });
    assert.deepEqual([all.trainableParams, all.nonTrainableParams, all.trainableLayers], [0, 410_208, 0]);
    assert.equal(all.firstTrainableLayer, null);
    assert.equal(base.trainableWeights.length, 0);
    const none = applyFreezing(base, { kind: 'none' });
    assert.deepEqual([none.trainableParams, none.nonTrainableParams, none.frozenLayers], [396_128, 14_080, 0]);
    // After a container-level freeze (tfjs flags weights only), the policy still applies.
    base.trainable = false;
    assert.equal(applyFreezing(base, { kind: 'none' }).trainableParams, 396_128);
    // Python slicing: layers[-1000:] is every layer.
    assert.equal(applyFreezing(base, { kind: 'last', n: 1000 }).trainableParams, 396_128);
    const last1 = applyFreezing(base, { kind: 'last', n: 3 });
    assert.deepEqual(
      base.layers.filter((l) => l.trainable).map((l) => l.name),
      ['Conv_1', 'Conv_1_bn', 'out_relu'],
    );
    assert.equal(last1.trainableParams, 112 * 1280 + 2 * 1280);
  } finally {
    base.dispose();
  }
});

test('InceptionV3 "from: conv2d_80" is keras.io\'s "freeze the first 249 layers" (through mixed8)', () => {
  const base = buildBase({ name: 'inceptionv3', inputSize: 75 });
  try {
    const r = applyFreezing(base, { kind: 'from', layer: 'conv2d_80' });
    assert.equal(base.layers[248]!.name, 'mixed8');
    assert.equal(r.firstTrainableIndex, 249);
    assert.equal(r.frozenLayers, 249);
  } finally {
    base.dispose();
  }
});

test('bad policies give one-line errors', () => {
  const base = buildBase({ name: 'mobilenetv2', alpha: 0.35, inputSize: 32 });
  try {
    assert.throws(
      () => applyFreezing(base, { kind: 'from', layer: 'conv9_block1' }),
      (e: Error) => {
        assert.match(e.message, /has no layer named "conv9_block1"/);
        assert.ok(!e.message.includes('\n'));
        return true;
      },
    );
    assert.throws(() => applyFreezing(base, { kind: 'last', n: 0 }), /positive integer/);
    assert.throws(() => applyFreezing(base, { kind: 'bogus' } as never), /unknown policy/);
    const classifier = buildClassifier(base, {
      inputSize: 32,
      resize: 'bilinear',
      head: { pooling: 'avg' },
      numClasses: 10,
    });
    assert.throws(() => applyFreezing(classifier, { kind: 'all' }), /freeze the base itself/);
  } finally {
    base.dispose();
  }
});
