import * as tf from '@tensorflow/tfjs';

export interface StepResult {
  /** Mean loss over the batch. */
  loss: number;
  correct: number;
  count: number;
}

/** Summed categorical cross-entropy of softmax outputs, clipped to [ε, 1−ε] as Keras does. */
export function crossEntropy(y: tf.Tensor, probs: tf.Tensor, axis?: number): tf.Tensor {
  return tf.tidy(() => tf.neg(tf.sum(tf.mul(y, tf.log(tf.clipByValue(probs, 1e-7, 1 - 1e-7))), axis)));
}

export interface Gradients extends StepResult {
  /** Summed micro-batch gradients by variable name; the caller disposes them. */
  grads: tf.NamedTensorMap;
}

/**
 * One optimizer step on a batch: forward and backward in micro-batches (each loss scaled by 1/batch,
 * so the summed gradients are the batch-mean gradient), then one update. The model runs with
 * training=true: dropout is on, trainable BatchNormalization layers use batch statistics, frozen ones
 * (FreezableBatchNormalization) stay in inference mode.
 */
export function trainStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  x: tf.Tensor | tf.Tensor[],
  y: tf.Tensor2D,
  microBatch: number,
): StepResult {
  const { grads, ...result } = batchGradients(model, x, y, microBatch);
  if (Object.keys(grads).length > 0) optimizer.applyGradients(grads);
  tf.dispose(grads);
  return result;
}

/**
 * The forward and backward passes of `trainStep` without the update. `batchSize` is the batch the
 * loss is averaged over: x's own size, or the whole batch when x is one data-parallel worker's
 * share of it (then the workers' summed gradients and losses are the batch's).
 */
export function batchGradients(
  model: tf.LayersModel,
  x: tf.Tensor | tf.Tensor[],
  y: tf.Tensor2D,
  microBatch: number,
  batchSize = (Array.isArray(x) ? x[0]! : x).shape[0]!,
): Gradients {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const n = (Array.isArray(x) ? x[0]! : x).shape[0]!;
  let accumulated: tf.NamedTensorMap | null = null;
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < n; start += microBatch) {
    const size = Math.min(microBatch, n - start);
    const { value, grads, hits } = tf.tidy(() => {
      const slice = (t: tf.Tensor) => tf.slice(t, start, size);
      const xs = n === size ? x : Array.isArray(x) ? x.map(slice) : slice(x);
      const ys = n === size ? y : tf.slice(y, start, size);
      let hits: tf.Scalar | null = null;
      const result = tf.variableGrads(() => {
        const probs = model.apply(xs, { training: true }) as tf.Tensor;
        hits = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(probs, -1), tf.argMax(ys, -1)), 'float32')));
        return tf.div(crossEntropy(ys, probs), batchSize) as tf.Scalar;
      }, variables);
      return { ...result, hits: hits! as tf.Scalar };
    });
    // One read-back per micro-batch: loss and hit count together.
    const both = tf.tidy(() => tf.stack([value, hits]));
    const [lossPart, hitPart] = both.dataSync();
    lossSum += lossPart!;
    correct += hitPart!;
    tf.dispose([value, hits, both]);
    if (accumulated === null) {
      accumulated = grads;
    } else {
      const previous: tf.NamedTensorMap = accumulated;
      accumulated = {};
      for (const name of Object.keys(previous)) accumulated[name] = tf.add(previous[name]!, grads[name]!);
      tf.dispose([previous, grads]);
    }
  }
  return { grads: accumulated ?? {}, loss: lossSum, correct, count: n };
}
