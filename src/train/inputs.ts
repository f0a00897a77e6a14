// What the training loop reads: with a frozen base and no augmentation, the head on cached pooled
// features; otherwise the whole classifier on images (augmented for training when the definition says so).
import type * as tf from '@tensorflow/tfjs';
import { featureSource, imageSource, type BatchSource } from './batch-source.ts';
import { cachedFeatures, type CachedFeaturesInput } from './cached-features.ts';
import { augmentationOn, cropPadding } from '../experiment/definition.ts';
import { splitAtPooling } from './model-setup.ts';

/** Cached features above this many bytes are not worth it (flatten heads of big bases): train end to end. */
const MAX_FEATURE_CACHE_BYTES = 3 * 2 ** 30;

export interface TrainingInputs {
  /** What is trained: the classifier's head (cached features) or the whole classifier. */
  model: tf.LayersModel;
  sources: { train: BatchSource; validation: BatchSource | null; test: BatchSource };
  cached: boolean;
  augment: boolean;
  evalBatchSize: number;
}

/**
 * Chooses between cached features and images and prepares the batch sources; computing the features
 * (timed by `timeFeatures`) when they are not cached yet. Null when a stop came midway.
 */
export async function trainingInputs(
  input: Omit<CachedFeaturesInput, 'split'>,
  timeFeatures: <T>(work: () => Promise<T>) => Promise<T>,
): Promise<TrainingInputs | null> {
  const { def, built, data, numClasses, saver } = input;
  const split = splitAtPooling(built.classifier);
  const featureBytes = (data.train.count + (data.validation?.count ?? 0) + data.test.count) * split.featureDim * 4;
  const augment = augmentationOn(def);
  const useCache = def.train.featureCache === 'auto' && built.freeze.trainableParams === 0 && !augment && featureBytes <= MAX_FEATURE_CACHE_BYTES;
  if (useCache) {
    const cached = await timeFeatures(() => cachedFeatures({ ...input, split }));
    if (cached === null) return null;
    const source = (name: string) => featureSource(cached.get(name)!, def.seed, numClasses);
    return {
      model: split.head,
      sources: { train: source('train'), validation: cached.has('validation') ? source('validation') : null, test: source('test') },
      cached: true,
      augment: false,
      evalBatchSize: 1024,
    };
  }
  saver.record.featureCache = null;
  const pad = cropPadding(def.data.augment.crop);
  const draws = augment ? { flip: def.data.augment.flip, crop: pad > 0, pad: pad || 4 } : null;
  const source = (set: typeof data.train, aug: typeof draws) => imageSource(set, built.preprocessMode, def.seed, aug, numClasses);
  return {
    model: built.classifier,
    sources: { train: source(data.train, draws), validation: data.validation ? source(data.validation, null) : null, test: source(data.test, null) },
    cached: false,
    augment,
    evalBatchSize: Math.max(def.train.batchSize, 32),
  };
}
