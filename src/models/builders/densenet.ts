import * as tf from '@tensorflow/tfjs';
import { avgPool, bn, channels, checkInputSize, concat, conv, input, maxPool, relu, zeroPad } from './blocks.ts';

// keras/applications/densenet.py (tf.keras 2.x): BN epsilon 1.001e-5, momentum 0.99, no conv biases.
const BN = { epsilon: 1.001e-5, momentum: 0.99 };
type T = tf.SymbolicTensor;

const DENSENET_BLOCKS = {
  densenet121: [6, 12, 24, 16],
  densenet169: [6, 12, 32, 32],
  densenet201: [6, 12, 48, 32],
} as const;
type DenseNetName = keyof typeof DENSENET_BLOCKS;
const DENSENET_MIN_SIZE = 32;

/** BN → ReLU → 1×1 conv (4·growth) → BN → ReLU → 3×3 conv (growth), concatenated onto the input. */
function convBlock(x: T, growthRate: number, name: string): T {
  let x1 = bn(x, { ...BN, name: `${name}_0_bn` });
  x1 = relu(x1, `${name}_0_relu`);
  x1 = conv(x1, { filters: 4 * growthRate, kernel: 1, useBias: false, name: `${name}_1_conv` });
  x1 = bn(x1, { ...BN, name: `${name}_1_bn` });
  x1 = relu(x1, `${name}_1_relu`);
  x1 = conv(x1, { filters: growthRate, kernel: 3, padding: 'same', useBias: false, name: `${name}_2_conv` });
  return concat([x, x1], `${name}_concat`);
}

function denseBlock(x: T, blocks: number, name: string): T {
  for (let i = 0; i < blocks; i++) x = convBlock(x, 32, `${name}_block${i + 1}`);
  return x;
}

function transitionBlock(x: T, reduction: number, name: string): T {
  x = bn(x, { ...BN, name: `${name}_bn` });
  x = relu(x, `${name}_relu`);
  x = conv(x, { filters: Math.trunc(channels(x) * reduction), kernel: 1, useBias: false, name: `${name}_conv` });
  return avgPool(x, { pool: 2, strides: 2, name: `${name}_pool` });
}

export function buildDenseNet(name: DenseNetName, inputSize: number): tf.LayersModel {
  checkInputSize(name, inputSize, DENSENET_MIN_SIZE);
  const blocks = DENSENET_BLOCKS[name];
  const img = input(inputSize);
  let x = zeroPad(
    img,
    [
      [3, 3],
      [3, 3],
    ],
    'zero_padding2d',
  );
  x = conv(x, { filters: 64, kernel: 7, strides: 2, useBias: false, name: 'conv1/conv' });
  x = bn(x, { ...BN, name: 'conv1/bn' });
  x = relu(x, 'conv1/relu');
  x = zeroPad(
    x,
    [
      [1, 1],
      [1, 1],
    ],
    'zero_padding2d_1',
  );
  x = maxPool(x, { pool: 3, strides: 2, name: 'pool1' });
  x = denseBlock(x, blocks[0], 'conv2');
  x = transitionBlock(x, 0.5, 'pool2');
  x = denseBlock(x, blocks[1], 'conv3');
  x = transitionBlock(x, 0.5, 'pool3');
  x = denseBlock(x, blocks[2], 'conv4');
  x = transitionBlock(x, 0.5, 'pool4');
  x = denseBlock(x, blocks[3], 'conv5');
  x = bn(x, { ...BN, name: 'bn' });
  x = relu(x, 'relu');
  return tf.model({ inputs: img, outputs: x, name });
}
