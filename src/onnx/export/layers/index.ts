import { activationLayer, leakyReluLayer, reluLayer, softmaxLayer } from './activation.ts';
import { batchNormLayer } from './batch-norm.ts';
import type { LayerConverter } from './context.ts';
import { convLayer } from './conv.ts';
import { denseLayer } from './dense.ts';
import { concatenateLayer, mergeLayer } from './merge.ts';
import { normalizationLayer } from './normalization.ts';
import { globalPoolLayer, poolLayer } from './pooling.ts';
import { flattenLayer, identityLayer, reshapeLayer, zeroPaddingLayer } from './shape.ts';
import { upSampleLayer } from './up-sample.ts';

/** The converter for each tfjs layer class the exporter knows (by `getClassName()`). */
export const LAYER_CONVERTERS: Readonly<Record<string, LayerConverter>> = {
  Conv2D: (ctx) => convLayer(ctx, null),
  DepthwiseConv2D: (ctx) => convLayer(ctx, null),
  BatchNormalization: batchNormLayer,
  Activation: activationLayer,
  ReLU: reluLayer,
  LeakyReLU: leakyReluLayer,
  Softmax: softmaxLayer,
  Add: mergeLayer('Add'),
  Multiply: mergeLayer('Mul'),
  Average: mergeLayer('Mean'),
  Maximum: mergeLayer('Max'),
  Minimum: mergeLayer('Min'),
  Concatenate: concatenateLayer,
  ZeroPadding2D: zeroPaddingLayer,
  MaxPooling2D: poolLayer('MaxPool'),
  AveragePooling2D: poolLayer('AveragePool'),
  GlobalAveragePooling2D: globalPoolLayer('GlobalAveragePool'),
  GlobalMaxPooling2D: globalPoolLayer('GlobalMaxPool'),
  Dense: denseLayer,
  Dropout: identityLayer,
  SpatialDropout1D: identityLayer,
  GaussianNoise: identityLayer,
  GaussianDropout: identityLayer,
  AlphaDropout: identityLayer,
  Flatten: flattenLayer,
  Reshape: reshapeLayer,
  UpSample: upSampleLayer,
  Normalization: normalizationLayer,
};
