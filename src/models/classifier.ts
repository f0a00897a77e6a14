import * as tf from '@tensorflow/tfjs';
import type { ResizeMode } from '../data/modes.ts';
import { UpSample } from './layers/up-sample.ts';

type Pooling = 'avg' | 'max' | 'flatten';
type DenseActivation = 'relu' | 'relu6' | 'elu' | 'selu' | 'tanh' | 'sigmoid' | 'swish' | 'linear';

interface DenseSpec {
  units: number;
  activation?: DenseActivation;
  /** Dropout after this dense layer (0 = none). */
  dropout?: number;
}

export interface HeadSpec {
  pooling: Pooling;
  dense?: DenseSpec[];
  /** Dropout on the pooled features, before the first dense layer (0 = none). */
  dropout?: number;
}

interface ClassifierSpec {
  /** The base's input size: the UpSample layer's target. */
  inputSize: number;
  resize: ResizeMode;
  head: HeadSpec;
  numClasses: number;
  /** Raw image size (CIFAR-10: 32). */
  sourceSize?: number;
  /** Seeds the head's initial kernels (a run's seed: the same seed, the same start); unseeded when absent. */
  seed?: number;
}

/** Layer names the classifier adds around the base, for callers that address them. */
const CLASSIFIER_LAYERS = { input: 'image', upSample: 'up_sample', predictions: 'predictions' } as const;

/**
 * sourceSize²×3 → UpSample → base (nested as one layer, so its layers keep their Keras names and
 * order: `classifier.getLayer(base.name)`) → pooling → [dropout] → (dense → [dropout])* → softmax.
 * Preprocessing (`preprocessModeFor`) happens before the model, on the raw-size images.
 */
export function buildClassifier(base: tf.LayersModel, spec: ClassifierSpec): tf.LayersModel {
  const baseShape = base.inputs[0]?.shape;
  if (!baseShape || baseShape[1] !== spec.inputSize || baseShape[2] !== spec.inputSize) {
    throw new Error(
      `buildClassifier: inputSize ${spec.inputSize} does not match ` +
        `base ${base.name}'s input ${JSON.stringify(baseShape?.slice(1))}`,
    );
  }
  if (!Number.isInteger(spec.numClasses) || spec.numClasses < 2) {
    throw new Error(`buildClassifier: numClasses must be an integer ≥ 2, got ${String(spec.numClasses)}`);
  }
  const source = spec.sourceSize ?? 32;
  const channels = baseShape[3] ?? 3;
  const image = tf.input({ shape: [source, source, channels], name: CLASSIFIER_LAYERS.input });
  let x = new UpSample({ size: spec.inputSize, mode: spec.resize, name: CLASSIFIER_LAYERS.upSample }).apply(
    image,
  ) as tf.SymbolicTensor;
  x = base.apply(x) as tf.SymbolicTensor;
  x = pooling(spec.head.pooling).apply(x) as tf.SymbolicTensor;
  const out = headLayers(x, { dense: spec.head.dense, dropout: spec.head.dropout }, spec.numClasses, spec.seed);
  return tf.model({ inputs: image, outputs: out, name: `${base.name}_classifier` });
}

/**
 * The layers above the pooled features: [dropout] → (dense → [dropout])* → softmax, the kernels
 * seeded per layer from `seed` (a run's seed: the same seed, the same start).
 */
export function headLayers(
  features: tf.SymbolicTensor,
  head: Pick<HeadSpec, 'dense' | 'dropout'>,
  numClasses: number,
  seed: number | undefined,
): tf.SymbolicTensor {
  let x = dropout(features, head.dropout, 'head_dropout');
  (head.dense ?? []).forEach((d, i) => {
    if (!Number.isInteger(d.units) || d.units < 1)
      throw new Error(`buildClassifier: head.dense[${i}].units must be a positive integer`);
    x = tf.layers
      .dense({
        units: d.units,
        activation: d.activation ?? 'relu',
        name: `fc${i + 1}`,
        kernelInitializer: headKernels(seed, i + 1),
      })
      .apply(x) as tf.SymbolicTensor;
    x = dropout(x, d.dropout, `fc${i + 1}_dropout`);
  });
  return tf.layers
    .dense({
      units: numClasses,
      activation: 'softmax',
      name: CLASSIFIER_LAYERS.predictions,
      kernelInitializer: headKernels(seed, 0),
    })
    .apply(x) as tf.SymbolicTensor;
}

/** Glorot-uniform (Keras' default for Dense), seeded per layer when the classifier has a seed. */
function headKernels(seed: number | undefined, layer: number): ReturnType<typeof tf.initializers.glorotUniform> {
  return tf.initializers.glorotUniform(seed === undefined ? {} : { seed: seed * 31 + layer });
}

/** The nested base model inside a classifier built by buildClassifier. */
export function classifierBase(classifier: tf.LayersModel): tf.LayersModel {
  const base = classifier.layers.find((l) => l instanceof tf.LayersModel);
  if (!base) throw new Error(`classifierBase: ${classifier.name} has no nested base model`);
  return base as tf.LayersModel;
}

function pooling(kind: Pooling): tf.layers.Layer {
  switch (kind) {
    case 'avg':
      return tf.layers.globalAveragePooling2d({ name: 'avg_pool' });
    case 'max':
      return tf.layers.globalMaxPooling2d({ name: 'max_pool' });
    case 'flatten':
      return tf.layers.flatten({ name: 'flatten' });
    default:
      throw new Error(`buildClassifier: head.pooling must be avg, max or flatten, got ${String(kind)}`);
  }
}

function dropout(x: tf.SymbolicTensor, rate: number | undefined, name: string): tf.SymbolicTensor {
  if (!rate) return x;
  if (!(rate > 0 && rate < 1))
    throw new Error(`buildClassifier: dropout rate must be in [0, 1), got ${rate} for ${name}`);
  return tf.layers.dropout({ rate, name }).apply(x) as tf.SymbolicTensor;
}
