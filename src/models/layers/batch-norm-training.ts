import * as tf from '@tensorflow/tfjs';

/**
 * Optional one-pass kernels for the statistics below. A backend may register them (the wasm
 * backend does, in backends/wasm-kernels/channel-stats.ts); without them tfjs' own ops are used.
 */
export const CHANNEL_MOMENTS = 'TransferLabChannelMoments';
export const CHANNEL_DOT_SUMS = 'TransferLabChannelDotSums';

interface BatchNormTrainingResult {
  output: tf.Tensor;
  /** Batch mean and (biased) variance per channel, for the moving averages; not differentiated. */
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/**
 * Training-mode batch normalisation over every axis but the last, as one differentiable op.
 *
 * `tf.moments` + `tf.batchNorm` puts six nodes on the gradient tape (Mean, Sub, Square, Mean,
 * FusedBatchNorm and the broadcasts between them) that keep ~3 full-size intermediates alive until
 * the backward pass and cost ~17 full-size passes there. Here the tape holds one node that saves
 * x̂ only, and the backward pass is the closed form
 *   dx = γ·σ⁻¹·(dy − mean(dy) − x̂·mean(dy·x̂)),  dγ = Σ dy·x̂,  dβ = Σ dy
 * (same values as differentiating the composite; see test/backends/batch-norm-training.test.ts).
 */
export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): BatchNormTrainingResult {
  const axes = [...Array(x.rank - 1).keys()];
  const count = axes.reduce((n, a) => n * x.shape[a], 1);
  let stats: tf.Tensor1D[] = [];
  const forward = (xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const { mean, variance } = moments(xs, axes);
    const invStd = tf.rsqrt(tf.add(variance, epsilon));
    const xHat = tf.mul(tf.sub(xs, mean), invStd);
    save([xHat, g, invStd]);
    // The forward function runs inside a tidy: keep the statistics past it (released below).
    stats = [tf.keep(mean as tf.Tensor1D), tf.keep(variance as tf.Tensor1D)];
    return {
      value: tf.add(tf.mul(xHat, g), b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, gs, inv] = saved;
        const [sumDy, sumDyXHat] = dotSums(dy, xh, axes);
        const scale = tf.mul(gs, inv);
        const dx = tf.add(
          tf.sub(tf.mul(dy, scale), tf.mul(xh, tf.mul(scale, tf.div(sumDyXHat, count)))),
          tf.neg(tf.mul(scale, tf.div(sumDy, count))),
        );
        return [dx, sumDyXHat, sumDy];
      },
    };
  };
  const op = tf.customGrad(forward as unknown as Parameters<typeof tf.customGrad>[0]);
  const output = op(x, gamma, beta);
  const [mean, variance] = stats.map((t) => tf.clone(t)) as [tf.Tensor1D, tf.Tensor1D];
  tf.dispose(stats);
  return { output, mean, variance };
}

/** Our one-pass heap kernels where registered (wasm, see channel-stats.ts), else tfjs' ops. */
function onePass(x: tf.Tensor): boolean {
  return x.dtype === 'float32' && tf.getKernel(CHANNEL_MOMENTS, tf.getBackend()) !== undefined;
}

function moments(x: tf.Tensor, axes: number[]): { mean: tf.Tensor; variance: tf.Tensor } {
  if (!onePass(x)) return tf.moments(x, axes);
  const [mean, variance] = tf.engine().runKernel(CHANNEL_MOMENTS, { x }) as tf.Tensor[];
  return { mean, variance };
}

/** [Σ dy, Σ dy·x̂] over `axes` (all but the last). */
function dotSums(dy: tf.Tensor, xHat: tf.Tensor, axes: number[]): [tf.Tensor, tf.Tensor] {
  if (!onePass(dy) || tf.getKernel(CHANNEL_DOT_SUMS, tf.getBackend()) === undefined) {
    return [tf.sum(dy, axes), tf.sum(tf.mul(dy, xHat), axes)];
  }
  return tf.engine().runKernel(CHANNEL_DOT_SUMS, { dy, xHat }) as [tf.Tensor, tf.Tensor];
}
