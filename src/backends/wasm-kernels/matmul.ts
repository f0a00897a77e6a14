import * as tf from '@tensorflow/tfjs';
import { asTensor } from './tensors.ts';

/**
 * Wraps wasm's BatchMatMul / _FusedMatMul: with a transpose flag set, XNNPACK's path is 15–70×
 * slower than an explicit Transpose followed by the plain product (measured: 0.4–2 vs 29 GFLOP/s).
 */
export function explicitTransposeMatMul(original: tf.KernelFunc): tf.KernelFunc {
  return (params) => {
    const attrs = params.attrs as { transposeA?: boolean; transposeB?: boolean } & Record<string, unknown>;
    if (!attrs.transposeA && !attrs.transposeB) return original(params);
    const made: tf.Tensor[] = [];
    const swapLast = (info: tf.TensorInfo): tf.TensorInfo => {
      const t = tf.tidy(() => {
        const rank = info.shape.length;
        const perm = [...Array(rank).keys()];
        [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
        return tf.transpose(asTensor(info), perm);
      });
      made.push(t);
      return t;
    };
    const inputs = { ...params.inputs };
    if (attrs.transposeA) inputs.a = swapLast(inputs.a as tf.TensorInfo);
    if (attrs.transposeB) inputs.b = swapLast(inputs.b as tf.TensorInfo);
    try {
      return original({ ...params, inputs, attrs: { ...attrs, transposeA: false, transposeB: false } });
    } finally {
      for (const t of made) t.dispose();
    }
  };
}
