import * as tf from '@tensorflow/tfjs';

/**
 * tfjs-core's FusedBatchNorm gradient with the same formulas, but broadcasting a per-channel
 * vector instead of `tile`-ing it to the full activation shape (wasm's Tile is ~60× slower than
 * a broadcast multiply), and with the per-channel factors applied after the reductions so each
 * input gradient costs at most two full-size passes.
 */
export const fusedBatchNormGradConfig: tf.GradConfig = {
  kernelName: 'FusedBatchNorm',
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dy, saved, attrs) => {
    const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
    const [x, mean, variance, scale] = saved as tf.Tensor[];
    const g = dy as tf.Tensor;
    const axes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
    const reduce = (t: tf.Tensor): tf.Tensor => (axes.length > 0 ? tf.reshape(tf.sum(t, axes), mean.shape) : t);
    const scaleValue = scale ?? tf.scalar(1);
    // The engine runs each thunk below in its own tidy, so shared values are made here; the
    // inner tidy frees the full-size intermediates at once and keeps only per-channel vectors.
    const [rsqrtVar, sumDy, sumCentredDy] = tf.tidy(() => [
      tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon))),
      reduce(g),
      reduce(tf.mul(tf.sub(x, mean), g)),
    ]);
    return {
      x: () => tf.reshape(tf.mul(g, tf.mul(rsqrtVar, scaleValue)), x.shape),
      mean: () => tf.reshape(tf.neg(tf.mul(tf.mul(rsqrtVar, scaleValue), sumDy)), mean.shape),
      variance: () => {
        const minusHalfRCube = tf.mul(tf.pow(rsqrtVar, tf.scalar(3)), tf.scalar(-0.5));
        return tf.reshape(tf.mul(tf.mul(minusHalfRCube, scaleValue), sumCentredDy), mean.shape);
      },
      scale: () => tf.reshape(tf.mul(rsqrtVar, sumCentredDy), mean.shape),
      offset: () => tf.reshape(sumDy, mean.shape),
    };
  },
};
