import type * as tf from '@tensorflow/tfjs';

type FreezePolicy = { kind: 'none' } | { kind: 'all' } | { kind: 'last'; n: number } | { kind: 'from'; layer: string };

export interface FreezeResult {
  /** Base layers left trainable / frozen (InputLayer included, as in `model.layers`). */
  trainableLayers: number;
  frozenLayers: number;
  /** Index in `base.layers` of the first trainable layer; null when everything is frozen. */
  firstTrainableIndex: number | null;
  firstTrainableLayer: string | null;
  trainableParams: number;
  nonTrainableParams: number;
}

/**
 * Freezes a base model in place with Keras' meaning: `last: N` leaves `base.layers[-N:]`
 * trainable (all of them when N exceeds the layer count, as Python slicing does), `from: name`
 * leaves that layer and every later one trainable. `base.layers` is in Keras' order (the builders
 * reproduce tf.keras' depth-sorted listing). Frozen BatchNormalization layers then run in
 * inference mode (see FreezableBatchNormalization).
 */
export function applyFreezing(base: tf.LayersModel, policy: FreezePolicy): FreezeResult {
  const layers = base.layers;
  const nested = layers.find((l) => (l as { layers?: unknown }).layers !== undefined);
  if (nested) {
    throw new Error(
      `freezing: ${base.name} contains the model "${nested.name}": ` +
        `freeze the base itself (classifierBase(model)), not the classifier`,
    );
  }
  const first = firstTrainable(base, policy);
  // Clear a container-level freeze first: tfjs' `trainable` setter on a model only flags weights.
  base.trainable = true;
  layers.forEach((layer, i) => {
    layer.trainable = i >= first;
  });
  const trainableLayers = layers.length - first;
  return {
    trainableLayers,
    frozenLayers: first,
    firstTrainableIndex: trainableLayers > 0 ? first : null,
    firstTrainableLayer: trainableLayers > 0 ? layers[first]!.name : null,
    trainableParams: countWeights(base.trainableWeights),
    nonTrainableParams: countWeights(base.nonTrainableWeights),
  };
}

function firstTrainable(base: tf.LayersModel, policy: FreezePolicy): number {
  const n = base.layers.length;
  switch (policy.kind) {
    case 'none':
      return 0;
    case 'all':
      return n;
    case 'last':
      if (!Number.isInteger(policy.n) || policy.n < 1) {
        throw new Error(`freezing: "last" must be a positive integer number of layers, got ${String(policy.n)}`);
      }
      return Math.max(0, n - policy.n);
    case 'from': {
      const index = base.layers.findIndex((l) => l.name === policy.layer);
      if (index < 0) {
        throw new Error(
          `freezing: ${base.name} has no layer named "${policy.layer}" (${n} ` +
            `layers, ${base.layers[1]?.name ?? ''} … ${base.layers[n - 1]?.name ?? ''})`,
        );
      }
      return index;
    }
    default:
      throw new Error(`freezing: unknown policy ${JSON.stringify(policy)}: expected none, all, last or from`);
  }
}

/** Number of scalars in a list of layer weights. */
export function countWeights(weights: tf.LayerVariable[]): number {
  return weights.reduce((n, w) => n + w.shape.reduce<number>((a, b) => a * (b ?? 0), 1), 0);
}
