import * as tf from '@tensorflow/tfjs';
import { containerOf, nodesInOrder } from './inference/graph.ts';

export interface PrefixBoundary {
  /** Frozen layers whose outputs the trainable part reads (or the base returns), in base.layers order. */
  outputs: string[];
  /** True when a trainable layer also reads the base's input directly. */
  readsInput: boolean;
}

/**
 * Where a partly frozen base (`applyFreezing`'s firstTrainableIndex into `base.layers`) crosses
 * from its fixed prefix into the trainable layers: the prefix can run on a fast inference engine up
 * to these outputs, and the trainable part takes them as inputs. With every layer frozen the
 * boundary is the base's own outputs. `base.layers` is in dependency order (Keras' depth-sorted
 * listing), so no frozen layer reads a trainable one.
 */
export function prefixBoundary(base: tf.LayersModel, firstTrainableIndex: number): PrefixBoundary {
  const container = containerOf(base);
  if (!container) throw new Error(`prefixBoundary: ${base.name} is not a functional model`);
  const index = new Map(base.layers.map((l, i) => [l.name, i]));
  const frozen = (name: string): boolean => (index.get(name) ?? Infinity) < firstTrainableIndex;
  const crossing = new Set<string>();
  let readsInput = false;
  for (const node of nodesInOrder(container)) {
    if (frozen(node.outboundLayer.name)) continue;
    for (const t of node.inputTensors) {
      const source = sourceLayer(t);
      if (!frozen(source.name)) continue;
      if (source.getClassName() === 'InputLayer') readsInput = true;
      else crossing.add(source.name);
    }
  }
  for (const t of base.outputs) {
    const source = sourceLayer(t);
    if (frozen(source.name) && source.getClassName() !== 'InputLayer') crossing.add(source.name);
  }
  const outputs = [...crossing].sort((a, b) => index.get(a)! - index.get(b)!);
  return { outputs, readsInput };
}

/**
 * The trainable part of a partly frozen base as a model of its own: one input per boundary output
 * (named `<layer>_out`, in `boundary.outputs` order, then the base's input when `readsInput`),
 * the base's output as its output. It applies the base's own layer objects again, so it shares
 * their weights: training it trains the base.
 */
export function trainableSuffix(
  base: tf.LayersModel,
  firstTrainableIndex: number,
  boundary = prefixBoundary(base, firstTrainableIndex),
): tf.LayersModel {
  const container = containerOf(base)!;
  const index = new Map(base.layers.map((l, i) => [l.name, i]));
  const mapped = new Map<number, tf.SymbolicTensor>();
  const inputs: tf.SymbolicTensor[] = [];
  for (const name of boundary.outputs) {
    const out = base.getLayer(name).getOutputAt(0) as tf.SymbolicTensor;
    const input = tf.input({ shape: out.shape.slice(1) as number[], name: `${name}_out` });
    mapped.set(out.id, input);
    inputs.push(input);
  }
  if (boundary.readsInput) {
    const original = base.inputs[0]!;
    const input = tf.input({ shape: original.shape.slice(1) as number[], name: base.inputLayers[0]!.name });
    mapped.set(original.id, input);
    inputs.push(input);
  }
  if (inputs.length === 0)
    throw new Error(`trainableSuffix: ${base.name} has no frozen prefix before index ${firstTrainableIndex}`);
  for (const node of nodesInOrder(container)) {
    const layer = node.outboundLayer;
    if ((index.get(layer.name) ?? -1) < firstTrainableIndex || layer.getClassName() === 'InputLayer') continue;
    const xs = node.inputTensors.map((t) => {
      const x = mapped.get(t.id);
      if (!x)
        throw new Error(
          `trainableSuffix: ${layer.name} reads ${sourceLayer(t).name}, which is neither trainable nor on the boundary`,
        );
      return x;
    });
    const y = layer.apply(xs.length === 1 ? xs[0]! : xs, node.callArgs ?? {}) as
      tf.SymbolicTensor | tf.SymbolicTensor[];
    const ys = Array.isArray(y) ? y : [y];
    node.outputTensors.forEach((t, i) => mapped.set(t.id, ys[i]!));
  }
  const outputs = base.outputs.map((t) => mapped.get(t.id)!);
  return tf.model({ inputs, outputs, name: `${base.name}_trainable` });
}

function sourceLayer(t: unknown): tf.layers.Layer {
  return (t as { sourceLayer: tf.layers.Layer }).sourceLayer;
}
