import * as tf from '@tensorflow/tfjs';

type Kwargs = { [key: string]: unknown };
type CallFn = (this: tf.layers.Layer, inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs) => tf.Tensor | tf.Tensor[];
type ApplyFn = (x: tf.Tensor, alpha?: number) => tf.Tensor;

const ORIGINAL = Symbol.for('transfer-lab.relu6.original');

type Patchable<K extends string, F> = { [P in K]: F } & { [ORIGINAL]?: F };

// Probe layers are named so that they take no number from tfjs' auto-naming (re_lu_N, activation_N).
function reluLayerPrototype(): Patchable<'call', CallFn> {
  return Object.getPrototypeOf(tf.layers.reLU({ maxValue: 6, name: 'transfer_lab_relu6_probe' })) as Patchable<
    'call',
    CallFn
  >;
}

function relu6ActivationPrototype(): Patchable<'apply', ApplyFn> {
  const layer = tf.layers.activation({ activation: 'relu6', name: 'transfer_lab_relu6_probe' }) as unknown as {
    activation: object;
  };
  return Object.getPrototypeOf(layer.activation) as Patchable<'apply', ApplyFn>;
}

/**
 * Makes every ReLU6 in tfjs-layers run the backend's Relu6 kernel:
 *
 * - the `ReLU` layer (Keras `layers.ReLU(6.)`, MobileNet v1/v2 builders) computes
 *   `clipByValue(relu(x), 0, maxValue)`; with maxValue 6 it now calls `tf.relu6(x)`;
 * - the `relu6` activation (`Activation('relu6')`, as in the pretrained tfjs MobileNet v1) computes
 *   `minimum(6, relu(x))`, and wasm's Minimum against a scalar is ~14× slower than its Relu6
 *   (27 vs 2 ms on 8.4 M values).
 *
 * Same values (min(max(x, 0), 6)) and the same gradient mask (0 < x ≤ 6). The classes, their names
 * and their configs are untouched — only the prototypes' compute methods are replaced — so
 * serialization and Keras parity are unchanged, and layers built or loaded before this module ran
 * benefit too. Installed when `src/models` is imported; `useFastRelu6(false)` restores tfjs' own
 * methods (for A/B benchmarks and tests).
 */
export function useFastRelu6(enabled: boolean): void {
  const layerProto = reluLayerPrototype();
  const activationProto = relu6ActivationPrototype();
  if (enabled) {
    if (!layerProto[ORIGINAL]) {
      const original = layerProto.call;
      layerProto[ORIGINAL] = original;
      layerProto.call = function (this: tf.layers.Layer & { maxValue?: number | null }, inputs, kwargs) {
        if (this.maxValue !== 6) return original.call(this, inputs, kwargs);
        return tf.relu6(Array.isArray(inputs) ? inputs[0]! : inputs);
      };
    }
    if (!activationProto[ORIGINAL]) {
      activationProto[ORIGINAL] = activationProto.apply;
      activationProto.apply = (x: tf.Tensor) => tf.relu6(x);
    }
  } else {
    if (layerProto[ORIGINAL]) {
      layerProto.call = layerProto[ORIGINAL];
      delete layerProto[ORIGINAL];
    }
    if (activationProto[ORIGINAL]) {
      activationProto.apply = activationProto[ORIGINAL];
      delete activationProto[ORIGINAL];
    }
  }
}

export function fastRelu6Enabled(): boolean {
  return reluLayerPrototype()[ORIGINAL] !== undefined;
}

useFastRelu6(true);

/**
 * The fused-kernel activation (`tf.fused.*`) a stand-alone activation layer computes, or null:
 * `Activation('relu' | 'relu6' | 'linear')`, or `ReLU` without a negative slope/threshold and with
 * maxValue absent or 6.
 */
export function fusableActivation(layer: tf.layers.Layer): 'relu' | 'relu6' | 'linear' | null {
  const cls = layer.getClassName();
  if (cls === 'ReLU') {
    const maxValue = (layer as unknown as { maxValue?: number | null }).maxValue;
    if (maxValue == null) return 'relu';
    return maxValue === 6 ? 'relu6' : null;
  }
  if (cls === 'Activation') {
    const name = (layer.getConfig() as { activation?: unknown }).activation;
    return name === 'relu' || name === 'relu6' || name === 'linear' ? name : null;
  }
  return null;
}
