import * as tf from '@tensorflow/tfjs';
import { freezableBatchNorm } from '../layers/freezable-batch-norm.ts';

type T = tf.SymbolicTensor;
type Padding = 'same' | 'valid';
type Pad2 = [[number, number], [number, number]];

/**
 * Keras' automatic layer names (`conv2d`, `conv2d_1`, …) for one fresh model, so names never
 * depend on tfjs' process-wide counters.
 */
export class AutoNamer {
  private readonly counts = new Map<string, number>();

  next(prefix: string): string {
    const n = this.counts.get(prefix) ?? 0;
    this.counts.set(prefix, n + 1);
    return n === 0 ? prefix : `${prefix}_${n}`;
  }
}

export function input(size: number, name = 'input_1'): T {
  return tf.input({ shape: [size, size, 3], name, dtype: 'float32' });
}

interface ConvArgs {
  filters: number;
  kernel: number | [number, number];
  strides?: number;
  padding?: Padding;
  useBias?: boolean;
  name: string;
}

export function conv(x: T, a: ConvArgs): T {
  return tf.layers
    .conv2d({
      filters: a.filters,
      kernelSize: a.kernel,
      strides: a.strides ?? 1,
      padding: a.padding ?? 'valid',
      useBias: a.useBias ?? true,
      name: a.name,
    })
    .apply(x) as T;
}

export function depthwise(x: T, a: { strides?: number; padding: Padding; depthMultiplier?: number; name: string }): T {
  return tf.layers
    .depthwiseConv2d({
      kernelSize: 3,
      strides: a.strides ?? 1,
      padding: a.padding,
      depthMultiplier: a.depthMultiplier ?? 1,
      useBias: false,
      name: a.name,
    })
    .apply(x) as T;
}

interface BnArgs {
  name: string;
  epsilon: number;
  momentum: number;
  scale?: boolean;
}

export function bn(x: T, a: BnArgs): T {
  return freezableBatchNorm({
    axis: -1,
    name: a.name,
    epsilon: a.epsilon,
    momentum: a.momentum,
    scale: a.scale ?? true,
  }).apply(x) as T;
}

export function relu(x: T, name: string): T {
  return tf.layers.activation({ activation: 'relu', name }).apply(x) as T;
}

/** Keras `layers.ReLU(6.)` — class ReLU, as in MobileNet v1/v2. */
export function relu6(x: T, name: string): T {
  return tf.layers.reLU({ maxValue: 6, name }).apply(x) as T;
}

export function zeroPad(x: T, padding: Pad2, name: string): T {
  return tf.layers.zeroPadding2d({ padding, name }).apply(x) as T;
}

export function maxPool(x: T, a: { pool: number; strides: number; padding?: Padding; name: string }): T {
  return tf.layers
    .maxPooling2d({ poolSize: a.pool, strides: a.strides, padding: a.padding ?? 'valid', name: a.name })
    .apply(x) as T;
}

export function avgPool(x: T, a: { pool: number; strides: number; padding?: Padding; name: string }): T {
  return tf.layers
    .averagePooling2d({ poolSize: a.pool, strides: a.strides, padding: a.padding ?? 'valid', name: a.name })
    .apply(x) as T;
}

export function concat(xs: T[], name: string): T {
  return tf.layers.concatenate({ axis: -1, name }).apply(xs) as T;
}

export function add(xs: T[], name: string): T {
  return tf.layers.add({ name }).apply(xs) as T;
}

/** Spatial size (height) of a symbolic NHWC tensor. */
export function spatial(x: T): number | null {
  return x.shape[1] ?? null;
}

export function channels(x: T): number {
  const c = x.shape[x.shape.length - 1];
  if (c == null) throw new Error('channel dimension must be known');
  return c;
}

export function checkInputSize(model: string, inputSize: number, min: number): void {
  if (!Number.isInteger(inputSize) || inputSize < min) {
    throw new Error(`${model}: input size must be an integer of at least ${min} px, got ${String(inputSize)}`);
  }
}
