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

/** Lets the event loop run once, so a signal handler can set the stop flag. */
const turnEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * One optimizer step on a batch: forward and backward in micro-batches (each loss scaled by 1/batch,
 * so the summed gradients are the batch-mean gradient), then one update. The model runs with
 * training=true: dropout is on, trainable BatchNormalization layers use batch statistics, frozen ones
 * (FreezableBatchNormalization) stay in inference mode. Each micro-batch is synchronous (seconds on
 * WebAssembly), so before each one the event loop turns and `shouldStop` is asked: a stop abandons
 * the step (no update; null), and a Ctrl-C waits at most one micro-batch.
 */
export async function trainStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  x: tf.Tensor,
  y: tf.Tensor2D,
  microBatch: number,
  shouldStop: () => boolean = () => false,
): Promise<StepResult | null> {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const n = x.shape[0]!;
  let accumulated: tf.NamedTensorMap | null = null;
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < n; start += microBatch) {
    await turnEventLoop();
    if (shouldStop()) {
      if (accumulated !== null) tf.dispose(accumulated);
      return null;
    }
    const size = Math.min(microBatch, n - start);
    const { value, grads, hits } = tf.tidy(() => {
      const xs = n === size ? x : tf.slice(x, start, size);
      const ys = n === size ? y : tf.slice(y, start, size);
      let hits: tf.Scalar | null = null;
      const result = tf.variableGrads(() => {
        const probs = model.apply(xs, { training: true }) as tf.Tensor;
        hits = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(probs, -1), tf.argMax(ys, -1)), 'float32')));
        return tf.div(crossEntropy(ys, probs), n) as tf.Scalar;
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
  if (accumulated !== null && Object.keys(accumulated).length > 0) {
    optimizer.applyGradients(accumulated);
    tf.dispose(accumulated);
  }
  return { loss: lossSum, correct, count: n };
}
