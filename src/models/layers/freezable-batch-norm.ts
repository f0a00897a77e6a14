// src/models/layers/: the custom tfjs layers the builders use (freezable BN and its training op,
// ReLU6, UpSample); imports @tensorflow/tfjs only.
import * as tf from '@tensorflow/tfjs';
// One differentiable op (closed-form backward); one-pass kernels on wasm, tfjs' ops elsewhere.
import { batchNormTraining } from './batch-norm-training.ts';
import type {
  BatchNormalization,
  BatchNormalizationLayerArgs,
} from '@tensorflow/tfjs-layers/dist/layers/normalization.js';
import type { LayerVariable } from '@tensorflow/tfjs-layers/dist/variables.js';
// Every model path that builds or loads a BN also gets the fast ReLU6 (side effect on import).
import './relu6.ts';

type Kwargs = { training?: boolean; [key: string]: unknown };

// tfjs does not export the class itself, only the factory; the constructor is the same object
// the serialization registry holds.
const BatchNormalizationBase = tf.layers.batchNormalization({}).constructor as new (
  args?: BatchNormalizationLayerArgs,
) => BatchNormalization;

/** Internal fields of tfjs' BatchNormalization that the class exposes to subclasses only by convention. */
interface BatchNormInternals {
  gamma: LayerVariable | null;
  beta: LayerVariable | null;
  movingMean: LayerVariable;
  movingVariance: LayerVariable;
  _trainableWeights: LayerVariable[];
  axis: number;
  epsilon: number;
  momentum: number;
}

/**
 * BatchNormalization with Keras 2 semantics for frozen layers: when `trainable` is false (on the
 * layer, or on all of its weights as `container.trainable = false` leaves it) it always runs in
 * inference mode — moving statistics are used and never updated — even when called with
 * `training: true` inside `fit`. tfjs' own layer keeps normalising with batch statistics and
 * updating its moving averages, which silently breaks fine-tuning of pretrained bases.
 *
 * In training mode the moving variance is updated with the unbiased batch variance, as Keras 2's
 * fused implementation does (tfjs uses the biased one).
 *
 * It also supports training with `scale: false` / `center: false` (InceptionV3), which tfjs'
 * own training path does not (it reads a null gamma).
 *
 * Its className is `BatchNormalization`, and registering it replaces tfjs' entry in the
 * serialization registry, so saved models stay Keras-compatible and every BatchNormalization
 * deserialized in this process (checkpoints, tfjs layers-format models) gets these semantics.
 */
export class FreezableBatchNormalization extends BatchNormalizationBase {
  static className = 'BatchNormalization';
  /**
   * Inference mode as `x·scale + offset` (`batchNormInference`) rather than `tf.batchNorm`; false
   * only for A/B benchmarks and tests.
   */
  static fastInference = true;

  constructor(args: BatchNormalizationLayerArgs = {}) {
    super(args);
  }

  /** True when this layer runs in inference mode regardless of the `training` flag. */
  get frozen(): boolean {
    if (!this.trainable) return true;
    const own = (this as unknown as BatchNormInternals)._trainableWeights;
    return own.length > 0 && own.every((w) => !w.trainable);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    const self = this as unknown as BatchNormInternals;
    const input = Array.isArray(inputs) ? inputs[0]! : inputs;
    const axis = self.axis < 0 ? self.axis + input.rank : self.axis;
    // Other axes: tfjs' implementation handles broadcasting; only the flag needs correcting.
    if (axis !== input.rank - 1) {
      return super.call(inputs, { ...kwargs, training: kwargs.training === true && !this.frozen }) as tf.Tensor;
    }
    const training = kwargs.training === true && !this.frozen;
    return tf.tidy(() => {
      // Constants rather than undefined: tfjs' batchNorm gradient cannot save a missing scale/offset.
      const channels = input.shape[axis]!;
      const beta = self.beta ? self.beta.read() : tf.zeros([channels]);
      const gamma = self.gamma ? self.gamma.read() : tf.ones([channels]);
      if (!training) {
        const normalize = FreezableBatchNormalization.fastInference ? batchNormInference : tf.batchNorm;
        return normalize(input, self.movingMean.read(), self.movingVariance.read(), beta, gamma, self.epsilon);
      }
      const reductionAxes = [...Array(input.rank - 1).keys()];
      const { output, mean, variance } = batchNormTraining(
        input,
        gamma as tf.Tensor1D,
        beta as tf.Tensor1D,
        self.epsilon,
      );
      // Keras 2 runs TF's fused batch norm, which feeds the moving variance the Bessel-corrected
      // batch variance (n / (n − 1)); normalisation itself uses the biased one.
      const n = reductionAxes.reduce((p, a) => p * input.shape[a]!, 1);
      const unbiased = n > 1 ? tf.mul(variance, n / (n - 1)) : variance;
      this.updateMovingStatistics(mean, unbiased);
      return output;
    });
  }

  /**
   * moving ← moving − (moving − batch value)·(1 − momentum), for the mean and the (unbiased)
   * variance of one training batch. Data-parallel workers defer and replay it in the batch's
   * micro-batch order (src/train/parallel/moving-statistics.ts).
   */
  updateMovingStatistics(mean: tf.Tensor, unbiasedVariance: tf.Tensor): void {
    const self = this as unknown as BatchNormInternals;
    const decay = 1 - self.momentum;
    for (const [variable, value] of [
      [self.movingMean, mean],
      [self.movingVariance, unbiasedVariance],
    ] as const) {
      tf.tidy(() => {
        const current = variable.read();
        variable.write(tf.sub(current, tf.mul(tf.sub(current, value), decay)));
      });
    }
  }
}

tf.serialization.registerClass(
  FreezableBatchNormalization as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>,
);

/**
 * Inference-mode batch normalisation over the last axis as `x·scale + offset`, with the per-channel
 * scale = γ/√(var+ε) and offset = β − mean·scale computed on the (tiny) channel vectors each call —
 * so gradients to x (and to γ/β, should a tape ask) stay exact and nothing goes stale when weights
 * change. On wasm two broadcast element-wise kernels take ~8 ms where its FusedBatchNorm takes
 * ~28 ms (8.4 M values).
 */
export function batchNormInference(
  x: tf.Tensor,
  mean: tf.Tensor,
  variance: tf.Tensor,
  beta: tf.Tensor,
  gamma: tf.Tensor,
  epsilon: number,
): tf.Tensor {
  return tf.tidy(() => {
    const scale = tf.mul(gamma, tf.rsqrt(tf.add(variance, epsilon)));
    const offset = tf.sub(beta, tf.mul(mean, scale));
    return tf.add(tf.mul(x, scale), offset);
  });
}

export function freezableBatchNorm(args: BatchNormalizationLayerArgs = {}): FreezableBatchNormalization {
  return new FreezableBatchNormalization(args);
}
