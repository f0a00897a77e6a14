import * as tf from '@tensorflow/tfjs';
import { bn, checkInputSize, conv, depthwise, input, relu6, zeroPad } from './blocks.ts';

// keras/applications/mobilenet.py (tf.keras 2.x): default BN (epsilon 1e-3, momentum 0.99), no conv
// biases, ZeroPadding `conv_pad_N` before each stride-2 depthwise conv.
const BN = { epsilon: 1e-3, momentum: 0.99 };
type T = tf.SymbolicTensor;
const MOBILENET_V1_MIN_SIZE = 32;

function convBlockV1(x: T, filters: number, alpha: number, strides: number): T {
  x = conv(x, {
    filters: Math.trunc(filters * alpha),
    kernel: 3,
    strides,
    padding: 'same',
    useBias: false,
    name: 'conv1',
  });
  x = bn(x, { ...BN, name: 'conv1_bn' });
  return relu6(x, 'conv1_relu');
}

function depthwiseConvBlock(
  x: T,
  a: { filters: number; alpha: number; depthMultiplier: number; strides: number; blockId: number },
): T {
  const id = a.blockId;
  if (a.strides !== 1)
    x = zeroPad(
      x,
      [
        [0, 1],
        [0, 1],
      ],
      `conv_pad_${id}`,
    );
  x = depthwise(x, {
    strides: a.strides,
    padding: a.strides === 1 ? 'same' : 'valid',
    depthMultiplier: a.depthMultiplier,
    name: `conv_dw_${id}`,
  });
  x = bn(x, { ...BN, name: `conv_dw_${id}_bn` });
  x = relu6(x, `conv_dw_${id}_relu`);
  x = conv(x, {
    filters: Math.trunc(a.filters * a.alpha),
    kernel: 1,
    padding: 'same',
    useBias: false,
    name: `conv_pw_${id}`,
  });
  x = bn(x, { ...BN, name: `conv_pw_${id}_bn` });
  return relu6(x, `conv_pw_${id}_relu`);
}

/** (pointwise filters, stride) of blocks 1–13. */
const BLOCKS: readonly (readonly [number, number])[] = [
  [64, 1],
  [128, 2],
  [128, 1],
  [256, 2],
  [256, 1],
  [512, 2],
  [512, 1],
  [512, 1],
  [512, 1],
  [512, 1],
  [512, 1],
  [1024, 2],
  [1024, 1],
];

export function buildMobileNetV1(inputSize: number, alpha = 1.0, depthMultiplier = 1): tf.LayersModel {
  checkInputSize('mobilenetv1', inputSize, MOBILENET_V1_MIN_SIZE);
  if (!(alpha > 0)) throw new Error(`mobilenetv1: alpha must be positive, got ${alpha}`);
  const img = input(inputSize);
  let x = convBlockV1(img, 32, alpha, 2);
  BLOCKS.forEach(([filters, strides], i) => {
    x = depthwiseConvBlock(x, { filters, alpha, depthMultiplier, strides, blockId: i + 1 });
  });
  return tf.model({ inputs: img, outputs: x, name: `mobilenet_${alpha.toFixed(2)}_${inputSize}` });
}
