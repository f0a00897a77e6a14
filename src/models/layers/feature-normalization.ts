import * as tf from '@tensorflow/tfjs';

interface FeatureNormalizationArgs {
  name?: string;
}

/** Keras' `backend.epsilon()`, the floor of Normalization's standard deviation. */
export const NORMALIZATION_EPSILON = 1e-7;

/**
 * Keras' `layers.Normalization` on the last axis: (x − mean) / max(√variance, ε), with mean and
 * variance non-trainable weights set once by `adapt` from the training features (the cached
 * features of a frozen base), then saved and restored with the model like any other weight.
 * Pooled features of different layers differ in scale; the head trains far better on them
 * standardised.
 */
export class FeatureNormalization extends tf.layers.Layer {
  static className = 'Normalization';
  private mean: tf.LayerVariable | null = null;
  private variance: tf.LayerVariable | null = null;

  constructor(args: FeatureNormalizationArgs = {}) {
    super({ ...args, trainable: false });
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const dim = shape[shape.length - 1];
    if (dim == null) throw new Error(`${this.name}: the last axis must have a known size`);
    this.mean = this.addWeight('mean', [dim], 'float32', tf.initializers.zeros(), undefined, false);
    this.variance = this.addWeight('variance', [dim], 'float32', tf.initializers.ones(), undefined, false);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const std = tf.maximum(tf.sqrt(this.variance!.read()), NORMALIZATION_EPSILON);
      return tf.div(tf.sub(x, this.mean!.read()), std);
    });
  }

  /** Sets mean and variance from `rows` × dim row-major values (accumulated in float64). */
  adapt(values: Float32Array, rows: number): void {
    const dim = this.mean!.shape[0]!;
    if (rows < 1 || values.length < rows * dim)
      throw new Error(`${this.name}: adapt needs at least one row of ${dim} values`);
    const sum = new Float64Array(dim);
    const squares = new Float64Array(dim);
    for (let r = 0; r < rows; r++) {
      const row = values.subarray(r * dim, (r + 1) * dim);
      for (let j = 0; j < dim; j++) {
        sum[j]! += row[j]!;
        squares[j]! += row[j]! * row[j]!;
      }
    }
    const mean = Float32Array.from(sum, (s) => s / rows);
    const variance = Float32Array.from(squares, (q, j) => Math.max(q / rows - mean[j]! * mean[j]!, 0));
    tf.tidy(() => {
      this.mean!.write(tf.tensor1d(mean));
      this.variance!.write(tf.tensor1d(variance));
    });
  }

  /** The adapted statistics, for exporters. */
  statistics(): { mean: Float32Array; variance: Float32Array } {
    return {
      mean: this.mean!.read().dataSync() as Float32Array,
      variance: this.variance!.read().dataSync() as Float32Array,
    };
  }
}

tf.serialization.registerClass(FeatureNormalization);
