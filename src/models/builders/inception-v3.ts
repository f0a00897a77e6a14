import * as tf from '@tensorflow/tfjs';
import { AutoNamer, avgPool, bn, checkInputSize, concat, conv, input, maxPool, relu } from './blocks.ts';

// keras/applications/inception_v3.py (tf.keras 2.x): every conv2d_bn is unnamed, so layers carry
// Keras' auto names (conv2d_N, batch_normalization_N, activation_N) in creation order.
// BN: scale=false, epsilon 1e-3, momentum 0.99; no conv biases; no ZeroPadding anywhere.
type T = tf.SymbolicTensor;
const INCEPTION_V3_MIN_SIZE = 75;

class InceptionBuilder {
  private readonly names = new AutoNamer();

  conv2dBn(
    x: T,
    filters: number,
    rows: number,
    cols: number,
    a: { padding?: 'same' | 'valid'; strides?: number } = {},
  ): T {
    x = conv(x, {
      filters,
      kernel: [rows, cols],
      strides: a.strides ?? 1,
      padding: a.padding ?? 'same',
      useBias: false,
      name: this.names.next('conv2d'),
    });
    x = bn(x, { name: this.names.next('batch_normalization'), epsilon: 1e-3, momentum: 0.99, scale: false });
    return relu(x, this.names.next('activation'));
  }

  maxPool(x: T): T {
    return maxPool(x, { pool: 3, strides: 2, name: this.names.next('max_pooling2d') });
  }

  avgPool(x: T): T {
    return avgPool(x, { pool: 3, strides: 1, padding: 'same', name: this.names.next('average_pooling2d') });
  }

  concat(xs: T[], name?: string): T {
    return concat(xs, name ?? this.names.next('concatenate'));
  }

  stem(x: T): T {
    x = this.conv2dBn(x, 32, 3, 3, { strides: 2, padding: 'valid' });
    x = this.conv2dBn(x, 32, 3, 3, { padding: 'valid' });
    x = this.conv2dBn(x, 64, 3, 3);
    x = this.maxPool(x);
    x = this.conv2dBn(x, 80, 1, 1, { padding: 'valid' });
    x = this.conv2dBn(x, 192, 3, 3, { padding: 'valid' });
    return this.maxPool(x);
  }

  /** mixed0–2 (35×35 at 299 px). */
  blockA(x: T, poolFilters: number, name: string): T {
    const branch1x1 = this.conv2dBn(x, 64, 1, 1);
    let branch5x5 = this.conv2dBn(x, 48, 1, 1);
    branch5x5 = this.conv2dBn(branch5x5, 64, 5, 5);
    let branch3x3dbl = this.conv2dBn(x, 64, 1, 1);
    branch3x3dbl = this.conv2dBn(branch3x3dbl, 96, 3, 3);
    branch3x3dbl = this.conv2dBn(branch3x3dbl, 96, 3, 3);
    let branchPool = this.avgPool(x);
    branchPool = this.conv2dBn(branchPool, poolFilters, 1, 1);
    return this.concat([branch1x1, branch5x5, branch3x3dbl, branchPool], name);
  }

  /** mixed3: grid reduction to 17×17. */
  reductionA(x: T): T {
    const branch3x3 = this.conv2dBn(x, 384, 3, 3, { strides: 2, padding: 'valid' });
    let branch3x3dbl = this.conv2dBn(x, 64, 1, 1);
    branch3x3dbl = this.conv2dBn(branch3x3dbl, 96, 3, 3);
    branch3x3dbl = this.conv2dBn(branch3x3dbl, 96, 3, 3, { strides: 2, padding: 'valid' });
    const branchPool = this.maxPool(x);
    return this.concat([branch3x3, branch3x3dbl, branchPool], 'mixed3');
  }

  /** mixed4–7: factorised 7×7 convolutions with `c` inner channels. */
  blockB(x: T, c: number, name: string): T {
    const branch1x1 = this.conv2dBn(x, 192, 1, 1);
    let branch7x7 = this.conv2dBn(x, c, 1, 1);
    branch7x7 = this.conv2dBn(branch7x7, c, 1, 7);
    branch7x7 = this.conv2dBn(branch7x7, 192, 7, 1);
    let branch7x7dbl = this.conv2dBn(x, c, 1, 1);
    branch7x7dbl = this.conv2dBn(branch7x7dbl, c, 7, 1);
    branch7x7dbl = this.conv2dBn(branch7x7dbl, c, 1, 7);
    branch7x7dbl = this.conv2dBn(branch7x7dbl, c, 7, 1);
    branch7x7dbl = this.conv2dBn(branch7x7dbl, 192, 1, 7);
    let branchPool = this.avgPool(x);
    branchPool = this.conv2dBn(branchPool, 192, 1, 1);
    return this.concat([branch1x1, branch7x7, branch7x7dbl, branchPool], name);
  }

  /** mixed8: grid reduction to 8×8. */
  reductionB(x: T): T {
    let branch3x3 = this.conv2dBn(x, 192, 1, 1);
    branch3x3 = this.conv2dBn(branch3x3, 320, 3, 3, { strides: 2, padding: 'valid' });
    let branch7x7x3 = this.conv2dBn(x, 192, 1, 1);
    branch7x7x3 = this.conv2dBn(branch7x7x3, 192, 1, 7);
    branch7x7x3 = this.conv2dBn(branch7x7x3, 192, 7, 1);
    branch7x7x3 = this.conv2dBn(branch7x7x3, 192, 3, 3, { strides: 2, padding: 'valid' });
    const branchPool = this.maxPool(x);
    return this.concat([branch3x3, branch7x7x3, branchPool], 'mixed8');
  }

  /** mixed9/mixed10 (i = 0/1). */
  blockC(x: T, i: number): T {
    const branch1x1 = this.conv2dBn(x, 320, 1, 1);
    let branch3x3 = this.conv2dBn(x, 384, 1, 1);
    const branch3x3a = this.conv2dBn(branch3x3, 384, 1, 3);
    const branch3x3b = this.conv2dBn(branch3x3, 384, 3, 1);
    branch3x3 = this.concat([branch3x3a, branch3x3b], `mixed9_${i}`);
    let branch3x3dbl = this.conv2dBn(x, 448, 1, 1);
    branch3x3dbl = this.conv2dBn(branch3x3dbl, 384, 3, 3);
    const branch3x3dblA = this.conv2dBn(branch3x3dbl, 384, 1, 3);
    const branch3x3dblB = this.conv2dBn(branch3x3dbl, 384, 3, 1);
    branch3x3dbl = this.concat([branch3x3dblA, branch3x3dblB]);
    let branchPool = this.avgPool(x);
    branchPool = this.conv2dBn(branchPool, 192, 1, 1);
    return this.concat([branch1x1, branch3x3, branch3x3dbl, branchPool], `mixed${9 + i}`);
  }
}

export function buildInceptionV3(inputSize: number): tf.LayersModel {
  checkInputSize('inceptionv3', inputSize, INCEPTION_V3_MIN_SIZE);
  const b = new InceptionBuilder();
  const img = input(inputSize);
  let x = b.stem(img);
  x = b.blockA(x, 32, 'mixed0');
  x = b.blockA(x, 64, 'mixed1');
  x = b.blockA(x, 64, 'mixed2');
  x = b.reductionA(x);
  x = b.blockB(x, 128, 'mixed4');
  x = b.blockB(x, 160, 'mixed5');
  x = b.blockB(x, 160, 'mixed6');
  x = b.blockB(x, 192, 'mixed7');
  x = b.reductionB(x);
  x = b.blockC(x, 0);
  x = b.blockC(x, 1);
  return tf.model({ inputs: img, outputs: x, name: 'inception_v3' });
}
