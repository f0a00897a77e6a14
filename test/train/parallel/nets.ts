// Models for the data-parallel tests, built by module specs ({ kind: 'module' }) in the test's
// thread and in every worker.
import * as tf from '@tensorflow/tfjs';
import { workerData } from 'node:worker_threads';
import { freezableBatchNorm } from '../../../src/models/layers/freezable-batch-norm.ts';
import { stopFlag } from '../../../src/train/parallel/barrier.ts';
import { densenetLike } from '../../backends/nets.ts';

type T = tf.SymbolicTensor;

function classifierHead(features: T, classes: number): T {
  const pooled = tf.layers.globalAveragePooling2d({}).apply(features) as T;
  return tf.layers.dense({ units: classes, activation: 'softmax' }).apply(pooled) as T;
}

/**
 * The DenseNet-style stand-in of test/backends/nets.ts with a softmax head. Those nets use tfjs'
 * own BatchNormalization; a round trip through the serialization registry gives the project's.
 */
export async function densenetStyle(options: { inputSize: number }): Promise<tf.LayersModel> {
  const input = tf.input({ shape: [options.inputSize, options.inputSize, 3] });
  const stock = tf.model({ inputs: input, outputs: classifierHead(densenetLike(input), 10) });
  const json = stock.toJSON(null, false) as unknown as tf.io.ModelJSON['modelTopology'];
  stock.dispose();
  return tf.models.modelFromJSON({ modelTopology: json } as tf.io.ModelJSON);
}

/** conv → BN → relu → conv → BN → relu → head: small enough for 200 steps. */
export function tinyNet(options: { inputSize: number }): tf.LayersModel {
  const input = tf.input({ shape: [options.inputSize, options.inputSize, 3] });
  let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false }).apply(input) as T;
  x = tf.layers.activation({ activation: 'relu' }).apply(freezableBatchNorm({ epsilon: 1e-3 }).apply(x) as T) as T;
  x = tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', useBias: false }).apply(x) as T;
  x = tf.layers.activation({ activation: 'relu' }).apply(freezableBatchNorm({ epsilon: 1e-3 }).apply(x) as T) as T;
  return tf.model({ inputs: input, outputs: classifierHead(x, 10) });
}

/** Fails in training mode, in worker `worker` only: throws, or ends the thread. */
class Failing extends tf.layers.Layer {
  static className = 'TestFailing';
  constructor(
    private readonly how: 'throw' | 'exit',
    private readonly worker: number,
  ) {
    super({});
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const index = (workerData as { init?: { index: number } } | null)?.init?.index;
    if (kwargs.training === true && index === this.worker) {
      if (this.how === 'exit') process.exit(3);
      throw new Error('boom: a layer failed inside the worker');
    }
    return tf.clone(x);
  }
}

export function failingNet(options: { inputSize: number; how: 'throw' | 'exit'; worker: number }): tf.LayersModel {
  const input = tf.input({ shape: [options.inputSize, options.inputSize, 3] });
  const x = new Failing(options.how, options.worker).apply(input) as T;
  const conv = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(x) as T;
  return tf.model({ inputs: input, outputs: classifierHead(conv, 10) });
}

/** Holds its worker's first training call until the trainer raises the stop flag (then passes through). */
class WaitsForStop extends tf.layers.Layer {
  static className = 'TestWaitsForStop';
  private waited = false;

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const init = (workerData as { init?: { buffers: { control: SharedArrayBuffer } } } | null)?.init;
    if (kwargs.training === true && init && !this.waited) {
      this.waited = true;
      const control = new Int32Array(init.buffers.control);
      const nap = new Int32Array(new SharedArrayBuffer(4));
      while (!stopFlag.raised(control)) Atomics.wait(nap, 0, 0, 5);
    }
    return tf.clone(x);
  }
}

/** tinyNet behind a layer that makes a worker's first micro-batch last until a stop is requested. */
export function waitsForStopNet(options: { inputSize: number }): tf.LayersModel {
  const input = tf.input({ shape: [options.inputSize, options.inputSize, 3] });
  let x = new WaitsForStop({}).apply(input) as T;
  x = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false }).apply(x) as T;
  x = tf.layers.activation({ activation: 'relu' }).apply(freezableBatchNorm({ epsilon: 1e-3 }).apply(x) as T) as T;
  return tf.model({ inputs: input, outputs: classifierHead(x, 10) });
}
