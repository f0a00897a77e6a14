import { CONTROL_SLOTS } from './barrier.ts';

/** float64 slots per worker in the results buffer: loss sum, hit count, abandoned (0 or 1). */
export const RESULT_SLOTS = 3;

/** Sizes the shared buffers are allocated for; fixed for a trainer's life. */
export interface BufferSizes {
  workers: number;
  /** Largest batch a step may get. */
  maxBatch: number;
  /** Floats per image (H·W·C of the model input) and per label (classes). */
  imageFloats: number;
  labelFloats: number;
  /** Floats in all trainable variables, in model.trainableWeights order. */
  trainableFloats: number;
  /** Floats in all weights (model.weights order: what weights()/setWeights() carry). */
  weightFloats: number;
  /** Floats one micro-batch's batch-norm statistics take (mean and variance of every trainable BN layer). */
  statisticsFloats: number;
}

/**
 * The memory the trainer and its workers share. Nothing per step goes through postMessage: the
 * batch, every worker's summed gradients, the reduced gradient, the batch-norm statistics of every
 * micro-batch and the per-worker loss/hits all live here.
 */
export interface SharedBuffers {
  sizes: BufferSizes;
  control: SharedArrayBuffer;
  /** maxBatch images, then maxBatch one-hot labels. */
  batch: SharedArrayBuffer;
  /** workers + 1 regions of trainableFloats: worker w's summed gradients, then their reduction. */
  gradients: SharedArrayBuffer;
  /** maxBatch micro-batch slots (a batch has at most that many) of statisticsFloats. */
  statistics: SharedArrayBuffer;
  weights: SharedArrayBuffer;
  /** Per worker (RESULT_SLOTS float64): loss sum, hit count, and 1 when it abandoned the step (a stop). */
  results: SharedArrayBuffer;
}

export function allocateBuffers(sizes: BufferSizes): SharedBuffers {
  const f32 = (n: number) => new SharedArrayBuffer(Math.max(1, n) * 4);
  return {
    sizes,
    control: new SharedArrayBuffer(CONTROL_SLOTS * 4),
    batch: f32(sizes.maxBatch * (sizes.imageFloats + sizes.labelFloats)),
    gradients: f32((sizes.workers + 1) * sizes.trainableFloats),
    statistics: f32(sizes.maxBatch * sizes.statisticsFloats),
    weights: f32(sizes.weightFloats),
    results: new SharedArrayBuffer(sizes.workers * RESULT_SLOTS * 8),
  };
}

/** Typed views of the shared buffers (each thread makes its own). */
export function views(b: SharedBuffers) {
  const { maxBatch, imageFloats, trainableFloats } = b.sizes;
  const gradients = new Float32Array(b.gradients);
  return {
    control: new Int32Array(b.control),
    images: new Float32Array(b.batch, 0, maxBatch * imageFloats),
    labels: new Float32Array(b.batch, maxBatch * imageFloats * 4),
    gradientRegion: (w: number) => gradients.subarray(w * trainableFloats, (w + 1) * trainableFloats),
    reduced: gradients.subarray(b.sizes.workers * trainableFloats),
    gradients,
    statistics: new Float32Array(b.statistics),
    weights: new Float32Array(b.weights),
    results: new Float64Array(b.results),
  };
}
