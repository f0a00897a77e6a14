// What the training loop reads: CIFAR-10 split as the definition says, then either the head on cached
// pooled features (frozen base: augmentation and test-time flips as extra cached copies) or the whole
// classifier on images (augmented for training when the definition says so), each split as a BatchSource.
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
import { FeatureNormalization } from '../models/index.ts';
import type { RunRecord } from '../run/record.ts';
import { cachedFeatures, type CachedFeaturesInput, type CachedSplit } from './feature-cache.ts';
import { featureModels, type FeatureModels } from './feature-models.ts';
import { splitViews } from './feature-views.ts';

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
  /** Copies of each image in x (test-time augmentation), view-major: x holds views × labels.length rows. */
  views?: number;
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
  mirrorToo = false,
): BatchSource {
  const stream = (r: BatchRequest) =>
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
    });
  return {
    count: set.count,
    labels: set.labels,
    stream: mirrorToo ? (r) => withMirror(stream(r)) : stream,
  };
}

/** Test-time flip on images: each batch followed by its mirror images (view-major). */
async function* withMirror(stream: AsyncGenerator<SourceBatch>): AsyncGenerator<SourceBatch, void, undefined> {
  for await (const batch of stream) {
    // Image batches only: a frozen prefix's outputs (several tensors) are never mirrored here.
    const images = batch.x as tf.Tensor;
    const x = tf.tidy(() => tf.concat([images, tf.reverse(images, 2)]));
    images.dispose();
    yield { ...batch, x, views: 2 };
  }
}

/**
 * Cached base features, visited in the same (seed, epoch) order as images. Training reads every
 * cached copy of an image as a row of its own; evaluation stacks an image's copies (TTA views)
 * view-major in one batch, and `evaluate` averages their predictions.
 */
export function featureSource(
  split: CachedSplit,
  seed: number,
  numClasses: number,
  role: 'train' | 'evaluate',
): BatchSource {
  const rows = role === 'train' ? split.count * split.views : split.count;
  const views = role === 'train' ? 1 : split.views;
  const labels = role === 'train' ? repeatLabels(split.labels, split.views) : split.labels;
  const dim = split.dim;
  return {
    count: rows,
    labels,
    async *stream(r) {
      const order = epochOrder(rows, seed, r.epoch, r.shuffle);
      const total = batchCount(rows, r.batchSize);
      for (let k = r.startBatch ?? 0; k < total; k++) {
        const indices = order.slice(k * r.batchSize, Math.min((k + 1) * r.batchSize, rows));
        const n = indices.length;
        const x = new Float32Array(views * n * dim);
        const batchLabels = new Uint8Array(n);
        for (let i = 0; i < n; i++) {
          for (let v = 0; v < views; v++) {
            const row = (v * split.count + indices[i]!) * dim;
            x.set(split.features.subarray(row, row + dim), (v * n + i) * dim);
          }
          batchLabels[i] = labels[indices[i]!]!;
        }
        const y = tf.tidy(() => tf.oneHot(tf.tensor1d(batchLabels, 'int32'), numClasses).toFloat() as tf.Tensor2D);
        yield { x: tf.tensor2d(x, [views * n, dim]), y, indices, labels: batchLabels, batch: k, views };
      }
    },
  };
}

/** Keras' `Normalization.adapt` on the training features (every cached copy), when the head has one. */
function adaptNormalization(head: tf.LayersModel, train: CachedSplit): void {
  const layer = head.layers.find((l): l is FeatureNormalization => l instanceof FeatureNormalization);
  layer?.adapt(train.features, train.count * train.views);
}

function repeatLabels(labels: Uint8Array, times: number): Uint8Array {
  const out = new Uint8Array(labels.length * times);
  for (let t = 0; t < times; t++) out.set(labels, t * labels.length);
  return out;
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

/** The head on the cached features of `models`' frozen base, the features computed when not cached yet. */
async function featureInputs(
  input: Omit<CachedFeaturesInput, 'models'>,
  models: FeatureModels,
): Promise<TrainingInputs | { featureCache: RunRecord['featureCache']; stopped: true }> {
  const { def, numClasses } = input;
  const { splits, entry } = await cachedFeatures({ ...input, models });
  if (splits === null) return { featureCache: entry, stopped: true };
  adaptNormalization(models.head, splits.get('train')!);
  const source = (name: string) =>
    featureSource(splits.get(name)!, def.seed, numClasses, name === 'train' ? 'train' : 'evaluate');
  const validation = splits.has('validation') ? source('validation') : null;
  return {
    model: models.head,
    sources: { train: source('train'), validation, test: source('test') },
    augment: false,
    evalBatchSize: 1024,
    featureCache: entry,
  };
}

/**
 * The head of a classifier whose base will train, on the cached features of its base as it is now
 * (no augmented copies, no test-time flips): what a linear probe before fine-tuning trains on.
 */
export function probeInputs(
  input: Omit<CachedFeaturesInput, 'models'>,
): Promise<TrainingInputs | { featureCache: RunRecord['featureCache']; stopped: true }> {
  const { def, built } = input;
  const plain: ExperimentDefinition = {
    ...def,
    data: { ...def.data, augment: { flip: false, crop: false, cropCopies: 1 } },
    eval: { tta: 'none' },
  };
  return featureInputs({ ...input, def: plain }, featureModels(built.classifier, def.model));
}

/**
 * Chooses between cached features and images and prepares the batch sources, computing the features
 * when they are not cached yet. `splits` is null when a stop came midway.
 */
export async function trainingInputs(
  input: Omit<CachedFeaturesInput, 'models'>,
): Promise<TrainingInputs | { featureCache: RunRecord['featureCache']; stopped: true }> {
  const { def, built, data, numClasses } = input;
  const models = featureModels(built.classifier, def.model);
  const views = splitViews(def);
  const evalImages = (data.validation?.count ?? 0) + data.test.count;
  const featureRows = data.train.count * views.train.length + evalImages * views.evaluation.length;
  const augment = augmentationOn(def);
  const frozen = built.freeze.trainableParams === 0;
  if (def.train.featureCache === 'auto' && frozen && featureRows * models.featureDim * 4 <= MAX_FEATURE_CACHE_BYTES) {
    return featureInputs(input, models);
  }
  if (def.model.head.normalize && frozen && def.train.featureCache === 'auto') {
    throw new Error(
      `model.head.normalize: adapted on cached features, but these would take over ` +
        `${MAX_FEATURE_CACHE_BYTES / 2 ** 30} GiB (fewer copies or input sizes)`,
    );
  }
  const pad = cropPadding(def.data.augment.crop);
  const draws = augment ? { flip: def.data.augment.flip, crop: pad > 0, pad: pad || 4 } : null;
  const tta = def.eval.tta === 'flip';
  const source = (set: ImageSet, aug: AugmentOptions | null, evaluation = true) =>
    imageSource(set, built.preprocessMode, def.seed, aug, numClasses, tta && evaluation);
  return {
    model: built.classifier,
    sources: {
      train: source(data.train, draws, false),
      validation: data.validation ? source(data.validation, null) : null,
      test: source(data.test, null),
    },
    augment,
    evalBatchSize: Math.max(def.train.batchSize, 32),
    featureCache: null,
  };
}
