import * as tf from '@tensorflow/tfjs';
import { add, bn, checkInputSize, conv, input, maxPool, relu, zeroPad } from './blocks.ts';

// keras/applications/resnet.py (tf.keras 2.x, ResNet v1): BN epsilon 1.001e-5, momentum 0.99,
// every conv has a bias, the stride sits on the 1×1 convs.
const BN = { epsilon: 1.001e-5, momentum: 0.99 };
type T = tf.SymbolicTensor;
const RESNET_MIN_SIZE = 32;

const RESNET_STACKS = {
  resnet50: [3, 4, 6, 3],
  resnet101: [3, 4, 23, 3],
  resnet152: [3, 8, 36, 3],
} as const;
type ResNetName = keyof typeof RESNET_STACKS;

/** A residual bottleneck block (`block1` in Keras). */
function block1(
  x: T,
  filters: number,
  a: { kernel?: number; stride?: number; convShortcut?: boolean; name: string },
): T {
  const { name } = a;
  const stride = a.stride ?? 1;
  let shortcut = x;
  if (a.convShortcut ?? true) {
    shortcut = conv(x, { filters: 4 * filters, kernel: 1, strides: stride, name: `${name}_0_conv` });
    shortcut = bn(shortcut, { ...BN, name: `${name}_0_bn` });
  }
  x = conv(x, { filters, kernel: 1, strides: stride, name: `${name}_1_conv` });
  x = bn(x, { ...BN, name: `${name}_1_bn` });
  x = relu(x, `${name}_1_relu`);
  x = conv(x, { filters, kernel: a.kernel ?? 3, padding: 'same', name: `${name}_2_conv` });
  x = bn(x, { ...BN, name: `${name}_2_bn` });
  x = relu(x, `${name}_2_relu`);
  x = conv(x, { filters: 4 * filters, kernel: 1, name: `${name}_3_conv` });
  x = bn(x, { ...BN, name: `${name}_3_bn` });
  x = add([shortcut, x], `${name}_add`);
  return relu(x, `${name}_out`);
}

function stack1(x: T, filters: number, blocks: number, a: { stride1?: number; name: string }): T {
  x = block1(x, filters, { stride: a.stride1 ?? 2, name: `${a.name}_block1` });
  for (let i = 2; i <= blocks; i++) x = block1(x, filters, { convShortcut: false, name: `${a.name}_block${i}` });
  return x;
}

export function buildResNet(name: ResNetName, inputSize: number): tf.LayersModel {
  checkInputSize(name, inputSize, RESNET_MIN_SIZE);
  const [b2, b3, b4, b5] = RESNET_STACKS[name];
  const img = input(inputSize);
  let x = zeroPad(
    img,
    [
      [3, 3],
      [3, 3],
    ],
    'conv1_pad',
  );
  x = conv(x, { filters: 64, kernel: 7, strides: 2, name: 'conv1_conv' });
  x = bn(x, { ...BN, name: 'conv1_bn' });
  x = relu(x, 'conv1_relu');
  x = zeroPad(
    x,
    [
      [1, 1],
      [1, 1],
    ],
    'pool1_pad',
  );
  x = maxPool(x, { pool: 3, strides: 2, name: 'pool1_pool' });
  x = stack1(x, 64, b2, { stride1: 1, name: 'conv2' });
  x = stack1(x, 128, b3, { name: 'conv3' });
  x = stack1(x, 256, b4, { name: 'conv4' });
  x = stack1(x, 512, b5, { name: 'conv5' });
  return tf.model({ inputs: img, outputs: x, name });
}
