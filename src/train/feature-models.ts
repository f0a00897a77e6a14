// The models behind cached features: one "features" model per input size (32×32 image → UpSample →
// base → pooling, of tapped layers too) and the head that reads their joined output (joined-classifier.ts).
import * as tf from '@tensorflow/tfjs';
import type { ExperimentDefinition } from '../experiment/definition.ts';
import { joinedFeaturesLayer, sizeFeaturesLayer, usesJoinedFeatures } from './joined-classifier.ts';
import { splitAtPooling, type SplitModel } from './model-setup.ts';

type ModelSpec = ExperimentDefinition['model'];

/** The frozen base at one input size, up to its pooled features. */
export interface SizeFeatures {
  size: number;
  model: tf.LayersModel;
  dim: number;
}

export interface FeatureModels {
  /** One per input size, in the definition's order; their features are joined in that order. */
  sizes: SizeFeatures[];
  /** Joined features → class probabilities; shares its layers (and weights) with the classifier. */
  head: tf.LayersModel;
  featureDim: number;
}

/** The classifier cut for cached features: per-size feature models and the head above them. */
export function featureModels(classifier: tf.LayersModel, m: ModelSpec): FeatureModels {
  if (!usesJoinedFeatures(m)) {
    const split: SplitModel = splitAtPooling(classifier);
    const sizes = [{ size: m.inputSize, model: split.features, dim: split.featureDim }];
    return { sizes, head: split.head, featureDim: split.featureDim };
  }
  const sizes = (m.inputSizes ?? [m.inputSize]).map((size) => {
    const pool = classifier.getLayer(sizeFeaturesLayer(m, size));
    const model = tf.model({ inputs: classifier.inputs, outputs: pool.output as tf.SymbolicTensor });
    return { size, model, dim: (pool.outputShape as number[])[1]! };
  });
  const featureDim = sizes.reduce((n, s) => n + s.dim, 0);
  const input = tf.input({ shape: [featureDim], name: 'features' });
  const layers = classifier.layers;
  let x: tf.SymbolicTensor = input;
  for (const layer of layers.slice(layers.indexOf(classifier.getLayer(joinedFeaturesLayer(m))) + 1))
    x = layer.apply(x) as tf.SymbolicTensor;
  return { sizes, head: tf.model({ inputs: input, outputs: x, name: 'head' }), featureDim };
}
