// Joined multi-resolution features for a frozen base: the classifier applies the one base at every
// input size and concatenates the pooled features, so a checkpoint and an evaluation on images see
// the same model the head was trained in on cached features.
import * as tf from '@tensorflow/tfjs';
import type { ExperimentDefinition } from '../experiment/definition.ts';
import { UpSample } from '../models/layers/up-sample.ts';

type ModelSpec = ExperimentDefinition['model'];

/** The input sizes whose features a definition joins (one unless model.inputSizes is set). */
function inputSizesOf(m: Pick<ModelSpec, 'inputSize' | 'inputSizes'>): number[] {
  return m.inputSizes ?? [m.inputSize];
}

export const JOINED_LAYER = 'joined_features';

export const joinedPoolName = (pooling: string, size: number): string => `${pooling}_pool_${size}`;

/**
 * 32×32 image → for each size: UpSample → base → pooling; concatenated → [dropout] → dense layers →
 * softmax. The base is one model (its weights shared by every size): convolutions take any input size.
 */
export function buildJoinedClassifier(base: tf.LayersModel, m: ModelSpec, numClasses: number): tf.LayersModel {
  const image = tf.input({ shape: [32, 32, 3], name: 'image' });
  const pooled = inputSizesOf(m).map((size) => {
    let x = new UpSample({ size, mode: m.resize, name: `up_sample_${size}` }).apply(image) as tf.SymbolicTensor;
    x = base.apply(x) as tf.SymbolicTensor;
    const name = joinedPoolName(m.head.pooling, size);
    const pool =
      m.head.pooling === 'max' ? tf.layers.globalMaxPooling2d({ name }) : tf.layers.globalAveragePooling2d({ name });
    return pool.apply(x) as tf.SymbolicTensor;
  });
  let x = tf.layers.concatenate({ name: JOINED_LAYER }).apply(pooled) as tf.SymbolicTensor;
  const drop = (t: tf.SymbolicTensor, rate: number, name: string) =>
    rate ? (tf.layers.dropout({ rate, name }).apply(t) as tf.SymbolicTensor) : t;
  x = drop(x, m.head.dropout, 'head_dropout');
  m.head.dense.forEach((d, i) => {
    const dense = tf.layers.dense({ units: d.units, activation: d.activation, name: `fc${i + 1}` });
    x = drop(dense.apply(x) as tf.SymbolicTensor, d.dropout, `fc${i + 1}_dropout`);
  });
  const out = tf.layers.dense({ units: numClasses, activation: 'softmax', name: 'predictions' }).apply(x);
  return tf.model({ inputs: image, outputs: out as tf.SymbolicTensor, name: `${base.name}_joined_classifier` });
}
