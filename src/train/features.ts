import * as tf from '@tensorflow/tfjs';
import type { ImageSet, PreprocessMode } from '../data/index.ts';
import type { InferenceModel } from '../models/index.ts';
import { imageSource } from './batch-source.ts';
import type { CachedSplit } from './feature-cache.ts';

/**
 * Runs every image of a split through the frozen feature model once (inference mode) and returns the
 * pooled features as one [count, dim] Float32 matrix; null when a stop was requested midway.
 */
export async function extractFeatures(
  featureModel: tf.LayersModel | InferenceModel,
  set: ImageSet,
  mode: PreprocessMode,
  dim: number,
  opts: { batchSize: number; numClasses: number; shouldStop: () => boolean; onProgress?: (done: number, total: number) => void },
): Promise<CachedSplit | null> {
  const features = new Float32Array(set.count * dim);
  const source = imageSource(set, mode, 0, null, opts.numClasses);
  let done = 0;
  for await (const batch of source.stream({ batchSize: opts.batchSize, epoch: 0, shuffle: false })) {
    const out = tf.tidy(() => featureModel.apply(batch.x, { training: false }) as tf.Tensor);
    // Read outside tidy: tidy walks a returned typed array element by element looking for tensors.
    features.set(out.dataSync() as Float32Array, batch.batch * opts.batchSize * dim);
    tf.dispose([out, batch.x, batch.y]);
    done += batch.labels.length;
    opts.onProgress?.(done, set.count);
    if (opts.shouldStop()) return null;
  }
  return { features, labels: set.labels.slice(), count: set.count, dim };
}
