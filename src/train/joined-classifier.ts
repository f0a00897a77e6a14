// Joined features for a frozen base: the classifier pools the base's output, and the outputs of the
// base layers named in `head.joinLayers`, at every input size, and concatenates them (optionally
// standardised by a Normalization layer), so a checkpoint and an evaluation on images see the same
// model the head was trained in on cached features.
import * as tf from '@tensorflow/tfjs';
import type { ExperimentDefinition } from '../experiment/definition.ts';
import { FeatureNormalization, headLayers, UpSample } from '../models/index.ts';

type ModelSpec = ExperimentDefinition['model'];

/** Whether a definition's classifier is the joined one (several sizes, tapped layers or normalised features). */
export function usesJoinedFeatures(m: ModelSpec): boolean {
  return m.inputSizes !== undefined || m.head.joinLayers.length > 0 || m.head.normalize;
}

/** The input sizes whose features a definition joins (one unless model.inputSizes is set). */
function inputSizesOf(m: Pick<ModelSpec, 'inputSize' | 'inputSizes'>): number[] {
  return m.inputSizes ?? [m.inputSize];
}

const JOINED_LAYER = 'joined_features';
const NORMALIZATION_LAYER = 'features_normalization';

/** The pooling layer of the base's output at one size (a tapped layer's pools add `_<layer>`). */
const poolName = (pooling: string, size: number, tap?: string): string =>
  `${pooling}_pool_${size}${tap ? `_${tap}` : ''}`;

/** The layer whose output is one size's features: its pool, or the concatenation of its pools. */
export function sizeFeaturesLayer(m: ModelSpec, size: number): string {
  return m.head.joinLayers.length > 0 ? `features_${size}` : poolName(m.head.pooling, size);
}

/** The layer whose output is the joined features of every size: where the head begins. */
export function joinedFeaturesLayer(m: ModelSpec): string {
  const sizes = inputSizesOf(m);
  return sizes.length > 1 ? JOINED_LAYER : sizeFeaturesLayer(m, sizes[0]!);
}

/**
 * The base with the tapped layers' outputs ahead of its own: the same layers and weights under the
 * base's name (its layers keep their Keras names), or the base itself when nothing is tapped.
 */
function tappedBase(base: tf.LayersModel, taps: string[]): tf.LayersModel {
  if (taps.length === 0) return base;
  const known = new Set(base.layers.map((l) => l.name));
  const missing = taps.find((t) => !known.has(t));
  if (missing !== undefined) {
    const spatial = base.layers.filter((l) => (l.outputShape as number[]).length === 4).map((l) => l.name);
    throw new Error(
      `model.head.joinLayers: ${base.name} has no layer "${missing}" (e.g. ${spatial.slice(-4).join(', ')})`,
    );
  }
  const outputs = taps.map((t) => base.getLayer(t).output as tf.SymbolicTensor);
  return tf.model({ inputs: base.inputs, outputs: [...outputs, ...base.outputs], name: base.name });
}

/**
 * 32×32 image → for each size: UpSample → base → pooling of its output and of each tapped layer;
 * concatenated → [Normalization] → [dropout] → dense layers → softmax. The base is one model (its
 * weights shared by every size): convolutions take any input size.
 */
export function buildJoinedClassifier(
  base: tf.LayersModel,
  m: ModelSpec,
  numClasses: number,
  seed?: number,
): tf.LayersModel {
  const image = tf.input({ shape: [32, 32, 3], name: 'image' });
  const taps = m.head.joinLayers;
  const tapped = tappedBase(base, taps);
  const perSize = inputSizesOf(m).map((size) => {
    const up = new UpSample({ size, mode: m.resize, name: `up_sample_${size}` }).apply(image) as tf.SymbolicTensor;
    const outputs = [tapped.apply(up)].flat() as tf.SymbolicTensor[];
    const pools = outputs.map((x, k) => {
      const name = poolName(m.head.pooling, size, taps[k]);
      const pool =
        m.head.pooling === 'max' ? tf.layers.globalMaxPooling2d({ name }) : tf.layers.globalAveragePooling2d({ name });
      return pool.apply(x) as tf.SymbolicTensor;
    });
    return pools.length === 1
      ? pools[0]!
      : (tf.layers.concatenate({ name: sizeFeaturesLayer(m, size) }).apply(pools) as tf.SymbolicTensor);
  });
  let x =
    perSize.length === 1
      ? perSize[0]!
      : (tf.layers.concatenate({ name: JOINED_LAYER }).apply(perSize) as tf.SymbolicTensor);
  if (m.head.normalize) x = new FeatureNormalization({ name: NORMALIZATION_LAYER }).apply(x) as tf.SymbolicTensor;
  const out = headLayers(x, { dense: m.head.dense, dropout: m.head.dropout }, numClasses, seed);
  return tf.model({ inputs: image, outputs: out, name: `${base.name}_joined_classifier` });
}
