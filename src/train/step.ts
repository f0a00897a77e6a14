import * as tf from '@tensorflow/tfjs';

export interface StepResult {
  /** Mean loss over the batch. */
  loss: number;
  correct: number;
  count: number;
}

export interface Gradients extends StepResult {
  /** Summed micro-batch gradients by variable name; the caller disposes them. */
  grads: tf.NamedTensorMap;
}

/** Summed categorical cross-entropy of softmax outputs, clipped to [ε, 1−ε] as Keras does. */
export function crossEntropy(y: tf.Tensor, probs: tf.Tensor, axis?: number): tf.Tensor {
  return tf.tidy(() => tf.neg(tf.sum(tf.mul(y, tf.log(tf.clipByValue(probs, 1e-7, 1 - 1e-7))), axis)));
}

/** The batch size of a model input: one tensor, or several (a frozen prefix's outputs). */
const batchOf = (x: tf.Tensor | tf.Tensor[]): number => (Array.isArray(x) ? x[0]! : x).shape[0]!;

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
  x: tf.Tensor | tf.Tensor[],
  y: tf.Tensor2D,
  microBatch: number,
  shouldStop: () => boolean = () => false,
): Promise<StepResult | null> {
  const sum = new GradientSum();
  const n = batchOf(x);
  for (let start = 0; start < n; start += microBatch) {
    await turnEventLoop();
    if (shouldStop()) {
      tf.dispose(sum.grads);
      return null;
    }
    sum.add(microBatchGradients(model, x, y, start, Math.min(microBatch, n - start), n));
  }
  const { grads, ...result } = sum.total(n);
  if (Object.keys(grads).length > 0) optimizer.applyGradients(grads);
  tf.dispose(grads);
  return result;
}

/**
 * The forward and backward passes of `trainStep` without the update. `batchSize` is the batch the
 * loss is averaged over: x's own size, or the whole batch when x is one data-parallel worker's
 * share of it (then the workers' summed gradients and losses are the batch's). With `shouldStop`,
 * asked before each micro-batch, a stop abandons the passes (null; nothing to dispose).
 */
export function batchGradients(
  model: tf.LayersModel,
  x: tf.Tensor | tf.Tensor[],
  y: tf.Tensor2D,
  microBatch: number,
  batchSize?: number,
): Gradients;
export function batchGradients(
  model: tf.LayersModel,
  x: tf.Tensor | tf.Tensor[],
  y: tf.Tensor2D,
  microBatch: number,
  batchSize: number,
  shouldStop: () => boolean,
): Gradients | null;
export function batchGradients(
  model: tf.LayersModel,
  x: tf.Tensor | tf.Tensor[],
  y: tf.Tensor2D,
  microBatch: number,
  batchSize = batchOf(x),
  shouldStop: () => boolean = () => false,
): Gradients | null {
  const sum = new GradientSum();
  const n = batchOf(x);
  for (let start = 0; start < n; start += microBatch) {
    if (shouldStop()) {
      tf.dispose(sum.grads);
      return null;
    }
    sum.add(microBatchGradients(model, x, y, start, Math.min(microBatch, n - start), batchSize));
  }
  return sum.total(n);
}

interface MicroBatchGradients {
  grads: tf.NamedTensorMap;
  loss: number;
  hits: number;
}

function microBatchGradients(
  model: tf.LayersModel,
  x: tf.Tensor | tf.Tensor[],
  y: tf.Tensor2D,
  start: number,
  size: number,
  batchSize: number,
): MicroBatchGradients {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const n = batchOf(x);
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
  const [loss, hitCount] = both.dataSync();
  tf.dispose([value, hits, both]);
  return { grads, loss: loss!, hits: hitCount! };
}

/** Micro-batch gradients added up in order (the caller disposes `grads` or the total's). */
class GradientSum {
  grads: tf.NamedTensorMap = {};
  private started = false;
  private loss = 0;
  private correct = 0;

  add(part: MicroBatchGradients): void {
    this.loss += part.loss;
    this.correct += part.hits;
    if (!this.started) {
      this.grads = part.grads;
      this.started = true;
      return;
    }
    const previous = this.grads;
    this.grads = {};
    for (const name of Object.keys(previous)) this.grads[name] = tf.add(previous[name]!, part.grads[name]!);
    tf.dispose([previous, part.grads]);
  }

  total(count: number): Gradients {
    return { grads: this.grads, loss: this.loss, correct: this.correct, count };
  }
}
