import * as tf from '@tensorflow/tfjs';
import { batchCount, batches, epochOrder, type AugmentOptions, type ImageSet, type PreprocessMode } from '../data/index.ts';
import type { CachedSplit } from './feature-cache.ts';

export interface SourceBatch {
  /** Model inputs; the consumer disposes x and y. */
  x: tf.Tensor;
  /** One-hot labels. */
  y: tf.Tensor2D;
  /** Each row's index in the split. */
  indices: Int32Array;
  labels: Uint8Array;
  /** The batch's number within the epoch. */
  batch: number;
}

export interface BatchRequest {
  batchSize: number;
  epoch: number;
  startBatch?: number;
  shuffle: boolean;
  /** Augment (training only); the draws depend on (seed, epoch, batch) only, so resume replays them. */
  augment?: boolean;
}

/** One split as the training loop and evaluation read it: either raw images or cached base features. */
export interface BatchSource {
  count: number;
  labels: Uint8Array;
  stream(request: BatchRequest): AsyncGenerator<SourceBatch, void, undefined>;
}

/** Raw 32×32 images, preprocessed for the base; the classifier's own UpSample layer resizes them. */
export function imageSource(set: ImageSet, mode: PreprocessMode, seed: number, augment: AugmentOptions | null, numClasses: number): BatchSource {
  return {
    count: set.count,
    labels: set.labels,
    stream: (r) =>
      batches(set, {
        batchSize: r.batchSize,
        epoch: r.epoch,
        startBatch: r.startBatch ?? 0,
        shuffle: r.shuffle,
        seed,
        preprocess: mode,
        augment: r.augment && augment ? augment : false,
        numClasses,
        prefetch: 1,
      }),
  };
}

/** Cached base features: rows of a [count, dim] matrix, visited in the same (seed, epoch) order as images. */
export function featureSource(split: CachedSplit, seed: number, numClasses: number): BatchSource {
  return {
    count: split.count,
    labels: split.labels,
    async *stream(r) {
      const order = epochOrder(split.count, seed, r.epoch, r.shuffle);
      const total = batchCount(split.count, r.batchSize);
      for (let k = r.startBatch ?? 0; k < total; k++) {
        const indices = order.slice(k * r.batchSize, Math.min((k + 1) * r.batchSize, split.count));
        const rows = new Float32Array(indices.length * split.dim);
        const labels = new Uint8Array(indices.length);
        for (let i = 0; i < indices.length; i++) {
          const row = indices[i]! * split.dim;
          rows.set(split.features.subarray(row, row + split.dim), i * split.dim);
          labels[i] = split.labels[indices[i]!]!;
        }
        const x = tf.tensor2d(rows, [indices.length, split.dim]);
        const y = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), numClasses).toFloat() as tf.Tensor2D);
        yield { x, y, indices, labels, batch: k };
      }
    },
  };
}
