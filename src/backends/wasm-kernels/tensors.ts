import * as tf from '@tensorflow/tfjs';

/**
 * Kernel inputs arrive as Tensors when an op ran them, but as bare TensorInfos when another
 * kernel calls them; the tidy around every kernel body disposes the wrapper made here.
 */
export function asTensor<T extends tf.Tensor>(info: tf.TensorInfo): T {
  if (info instanceof tf.Tensor) return info as T;
  return tf.engine().makeTensorFromTensorInfo(info) as T;
}

export type KernelParams = Parameters<tf.KernelFunc>[0];
