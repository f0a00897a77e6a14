import * as tf from '@tensorflow/tfjs';
import { asTensor, type KernelParams } from './tensors.ts';

/**
 * FusedBatchNorm as (x − mean) · (scale · rsqrt(variance + ε)) + offset: the per-channel factor is
 * computed once on the small vectors, then three broadcast element-wise kernels, which wasm runs
 * through XNNPACK. wasm's own kernel walks the activation element by element with per-element
 * index arithmetic: 16×48×48×96 took 11.5 ms there, 2.5–3.5 ms here.
 */
export function fusedBatchNormForward({ inputs, attrs }: KernelParams): tf.TensorInfo {
  const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
  return tf.tidy(() => {
    const x = asTensor(inputs.x as tf.TensorInfo);
    const mean = asTensor(inputs.mean as tf.TensorInfo);
    const variance = asTensor(inputs.variance as tf.TensorInfo);
    let factor = tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)));
    if (inputs.scale) factor = tf.mul(factor, asTensor(inputs.scale as tf.TensorInfo));
    const scaled = tf.mul(tf.sub(x, mean), factor);
    return inputs.offset ? tf.add(scaled, asTensor(inputs.offset as tf.TensorInfo)) : scaled;
  });
}
