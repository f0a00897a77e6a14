import type * as tf from '@tensorflow/tfjs';
import type { Value } from './graph.ts';

const NON_NEGATIVE_ACTIVATIONS = new Set(['relu', 'relu6', 'sigmoid', 'softplus', 'softmax', 'hardSigmoid']);
/** Layers whose output is non-negative when all their inputs are. */
const SIGN_KEEPING = new Set([
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling2D',
  'ZeroPadding2D',
  'Concatenate',
  'Add',
  'Multiply',
  'Average',
  'Maximum',
  'Minimum',
  'Dropout',
  'Flatten',
  'Reshape',
  'UpSample',
]);

/** True when a layer's output is known to hold no negative value (used to keep exact fusions). */
export function producesNonNegative(layer: tf.layers.Layer, config: Record<string, unknown>, inputs: Value[]): boolean {
  const cls = layer.getClassName();
  if (cls === 'ReLU') return true;
  if (cls === 'Activation' || cls === 'Conv2D' || cls === 'DepthwiseConv2D' || cls === 'Dense') {
    return NON_NEGATIVE_ACTIVATIONS.has(String(config.activation ?? 'linear'));
  }
  return SIGN_KEEPING.has(cls) && inputs.every((v) => v.nonNegative === true);
}
