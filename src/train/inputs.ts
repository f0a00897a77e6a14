// What the training loop reads: CIFAR-10 split as the definition says, then either the head on cached
// pooled features (frozen base, no augmentation) or the whole classifier on images (augmented for
// training when the definition says so), each split as a BatchSource.
import * as tf from '@tensorflow/tfjs';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import {
  batchCount,
  batches,
  CIFAR10_FILES,
  epochOrder,
  loadCifar10,
  resolveCifar10Dir,
  splitValidation,
  stratifiedSubset,
  type AugmentOptions,
  type ImageSet,
  type PreprocessMode,
} from '../data/index.ts';
import { augmentationOn, cropPadding, type ExperimentDefinition } from '../experiment/definition.ts';
import type { ProgressMode } from '../experiment/names.ts';
import type { RunRecord } from '../run/record.ts';
import { cachedFeatures, type CachedFeaturesInput, type CachedSplit } from './feature-cache.ts';
import { splitAtPooling } from './model-setup.ts';

/** Cached features above this many bytes are not worth it (flatten heads of big bases): train end to end. */
const MAX_FEATURE_CACHE_BYTES = 3 * 2 ** 30;

export interface RunData {
  /** The CIFAR-10 folder used. */
  dir: string;
  /** Sizes of its files (part of the feature-cache key). */
  files: Record<string, number>;
  train: ImageSet;
  validation: ImageSet | null;
  test: ImageSet;
  classNames: string[];
}

/** CIFAR-10 as the definition splits it: the validation split comes out of the training set first, then the subsets. */
export async function loadRunData(
  def: ExperimentDefinition,
  dataDir: string,
  progress: ProgressMode,
  download: boolean,
): Promise<RunData> {
  const dir = await resolveCifar10Dir({ dataDir, progress, download });
  const cifar = await loadCifar10(dir);
  const { train: pool, validation } =
    def.data.validationSize > 0
      ? splitValidation(cifar.train, def.data.validationSize, def.seed)
      : { train: cifar.train, validation: null };
  const train = def.data.trainPerClass ? stratifiedSubset(pool, def.data.trainPerClass, def.seed) : pool;
  const test = def.data.testPerClass ? stratifiedSubset(cifar.test, def.data.testPerClass, def.seed) : cifar.test;
  const files = Object.fromEntries(CIFAR10_FILES.map((f) => [f, statSync(join(dir, f)).size]));
  return { dir, files, train, validation, test, classNames: cifar.classNames };
}

interface SourceBatch {
  /** Model inputs (one tensor per input of the model); the consumer disposes x and y. */
  x: tf.Tensor | tf.Tensor[];
  /** One-hot labels. */
  y: tf.Tensor2D;
  /** Each row's index in the split. */
  indices: Int32Array;
  labels: Uint8Array;
  /** The batch's number within the epoch. */
  batch: number;
}

interface BatchRequest {
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
function imageSource(
  set: ImageSet,
  mode: PreprocessMode,
  seed: number,
  augment: AugmentOptions | null,
  numClasses: number,
): BatchSource {
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
function featureSource(split: CachedSplit, seed: number, numClasses: number): BatchSource {
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

export interface TrainingInputs {
  /** What is trained: the classifier's head (cached features) or the whole classifier. */
  model: tf.LayersModel;
  sources: { train: BatchSource; validation: BatchSource | null; test: BatchSource };
  augment: boolean;
  evalBatchSize: number;
  /** run.json's featureCache entry: null when training on images. */
  featureCache: RunRecord['featureCache'];
}

/**
 * Chooses between cached features and images and prepares the batch sources, computing the features
 * when they are not cached yet. `splits` is null when a stop came midway.
 */
export async function trainingInputs(
  input: Omit<CachedFeaturesInput, 'split'>,
): Promise<TrainingInputs | { featureCache: RunRecord['featureCache']; stopped: true }> {
  const { def, built, data, numClasses } = input;
  const split = splitAtPooling(built.classifier);
  const featureBytes = (data.train.count + (data.validation?.count ?? 0) + data.test.count) * split.featureDim * 4;
  const augment = augmentationOn(def);
  const frozen = built.freeze.trainableParams === 0;
  if (def.train.featureCache === 'auto' && frozen && !augment && featureBytes <= MAX_FEATURE_CACHE_BYTES) {
    const { splits, entry } = await cachedFeatures({ ...input, split });
    if (splits === null) return { featureCache: entry, stopped: true };
    const source = (name: string) => featureSource(splits.get(name)!, def.seed, numClasses);
    const validation = splits.has('validation') ? source('validation') : null;
    return {
      model: split.head,
      sources: { train: source('train'), validation, test: source('test') },
      augment: false,
      evalBatchSize: 1024,
      featureCache: entry,
    };
  }
  const pad = cropPadding(def.data.augment.crop);
  const draws = augment ? { flip: def.data.augment.flip, crop: pad > 0, pad: pad || 4 } : null;
  const source = (set: ImageSet, aug: AugmentOptions | null) =>
    imageSource(set, built.preprocessMode, def.seed, aug, numClasses);
  return {
    model: built.classifier,
    sources: {
      train: source(data.train, draws),
      validation: data.validation ? source(data.validation, null) : null,
      test: source(data.test, null),
    },
    augment,
    evalBatchSize: Math.max(def.train.batchSize, 32),
    featureCache: null,
  };
}
