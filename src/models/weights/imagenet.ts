import type * as tf from '@tensorflow/tfjs';
import { loadKerasH5Weights, type LoadKerasH5Result } from '../weights-h5.ts';
import { weightsFallback, type WeightsSpec } from '../weight-files.ts';
import { resolveWeights, type ResolveWeightsOptions } from './resolve.ts';

export interface ImagenetWeightsResult extends LoadKerasH5Result {
  path: string;
  /** Set when Keras has no file for this input size and the 224-px file was used (as Keras does). */
  fallback: { requested: number; used: number } | null;
}

/** `weights: imagenet`: resolves (downloads once, md5-checked) the official no-top file and loads it by order. */
export async function loadImagenetWeights(
  model: tf.LayersModel,
  spec: WeightsSpec,
  opts: ResolveWeightsOptions & { onWarning?: (message: string) => void } = {},
): Promise<ImagenetWeightsResult> {
  const fallback = weightsFallback(spec);
  if (fallback) {
    opts.onWarning?.(
      `${spec.name}: no ImageNet weights for ${fallback.requested} px; loading the ${fallback.used} px file, as Keras does`,
    );
  }
  const path = await resolveWeights(spec, opts);
  const result = await loadKerasH5Weights(model, path);
  return { ...result, path, fallback };
}
