import * as tf from '@tensorflow/tfjs';
import { add, bn, channels, checkInputSize, conv, depthwise, input, relu6, spatial, zeroPad } from './blocks.ts';

// keras/applications/mobilenet_v2.py (tf.keras 2.x): BN epsilon 1e-3, momentum 0.999, no conv biases,
// no stem ZeroPadding (that was keras-applications' variant).
const BN = { epsilon: 1e-3, momentum: 0.999 };
type T = tf.SymbolicTensor;
const MOBILENET_V2_MIN_SIZE = 32;

/** Keras' `_make_divisible` (from the original TF-slim code): round to a multiple of `divisor`, losing < 10 %. */
function makeDivisible(v: number, divisor = 8, minValue = divisor): number {
  let newV = Math.max(minValue, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (newV < 0.9 * v) newV += divisor;
  return newV;
}

/** imagenet_utils.correct_pad: the ZeroPadding before a stride-2 valid depthwise conv. */
function correctPad(size: number | null, kernel = 3): [[number, number], [number, number]] {
  const adjust = size == null ? 1 : 1 - (size % 2);
  const correct = Math.floor(kernel / 2);
  return [
    [correct - adjust, correct],
    [correct - adjust, correct],
  ];
}

function invertedResBlock(
  x: T,
  a: { expansion: number; stride: number; alpha: number; filters: number; blockId: number },
): T {
  const inChannels = channels(x);
  const pointwise = makeDivisible(Math.trunc(a.filters * a.alpha), 8);
  const inputs = x;
  let prefix = `block_${a.blockId}_`;
  if (a.blockId) {
    x = conv(x, {
      filters: a.expansion * inChannels,
      kernel: 1,
      padding: 'same',
      useBias: false,
      name: `${prefix}expand`,
    });
    x = bn(x, { ...BN, name: `${prefix}expand_BN` });
    x = relu6(x, `${prefix}expand_relu`);
  } else {
    prefix = 'expanded_conv_';
  }
  if (a.stride === 2) x = zeroPad(x, correctPad(spatial(x), 3), `${prefix}pad`);
  x = depthwise(x, { strides: a.stride, padding: a.stride === 1 ? 'same' : 'valid', name: `${prefix}depthwise` });
  x = bn(x, { ...BN, name: `${prefix}depthwise_BN` });
  x = relu6(x, `${prefix}depthwise_relu`);
  x = conv(x, { filters: pointwise, kernel: 1, padding: 'same', useBias: false, name: `${prefix}project` });
  x = bn(x, { ...BN, name: `${prefix}project_BN` });
  if (inChannels === pointwise && a.stride === 1) return add([inputs, x], `${prefix}add`);
  return x;
}

/** (filters, stride, expansion) of blocks 0–16. */
const BLOCKS: readonly (readonly [number, number, number])[] = [
  [16, 1, 1],
  [24, 2, 6],
  [24, 1, 6],
  [32, 2, 6],
  [32, 1, 6],
  [32, 1, 6],
  [64, 2, 6],
  [64, 1, 6],
  [64, 1, 6],
  [64, 1, 6],
  [96, 1, 6],
  [96, 1, 6],
  [96, 1, 6],
  [160, 2, 6],
  [160, 1, 6],
  [160, 1, 6],
  [320, 1, 6],
];

export function buildMobileNetV2(inputSize: number, alpha = 1.0): tf.LayersModel {
  checkInputSize('mobilenetv2', inputSize, MOBILENET_V2_MIN_SIZE);
  if (!(alpha > 0)) throw new Error(`mobilenetv2: alpha must be positive, got ${alpha}`);
  const img = input(inputSize);
  let x = conv(img, {
    filters: makeDivisible(32 * alpha, 8),
    kernel: 3,
    strides: 2,
    padding: 'same',
    useBias: false,
    name: 'Conv1',
  });
  x = bn(x, { ...BN, name: 'bn_Conv1' });
  x = relu6(x, 'Conv1_relu');
  BLOCKS.forEach(([filters, stride, expansion], blockId) => {
    x = invertedResBlock(x, { filters, alpha, stride, expansion, blockId });
  });
  const lastFilters = alpha > 1.0 ? makeDivisible(1280 * alpha, 8) : 1280;
  x = conv(x, { filters: lastFilters, kernel: 1, useBias: false, name: 'Conv_1' });
  x = bn(x, { ...BN, name: 'Conv_1_bn' });
  x = relu6(x, 'out_relu');
  return tf.model({ inputs: img, outputs: x, name: `mobilenetv2_${alpha.toFixed(2)}_${inputSize}` });
}
