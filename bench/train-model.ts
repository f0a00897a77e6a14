// The model the train bench measures: a real base with a GAP → dropout → softmax head. Its own
// module so that data-parallel workers can build it from a { kind: 'module' } spec.
import * as tf from '@tensorflow/tfjs';
import { buildBase } from '../src/models/builders/index.ts';

export interface Config {
  model: 'mobilenetv2' | 'densenet121' | 'resnet50' | 'inceptionv3';
  alpha?: number;
  size: number;
}

export function benchModel(c: Config): tf.LayersModel {
  const base = buildBase({ name: c.model, alpha: c.alpha, inputSize: c.size });
  const input = tf.input({ shape: [c.size, c.size, 3] });
  let x = tf.layers.globalAveragePooling2d({}).apply(base.apply(input)) as tf.SymbolicTensor;
  x = tf.layers.dropout({ rate: 0.2 }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 10, activation: 'softmax' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}
