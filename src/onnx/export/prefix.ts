import type * as tf from '@tensorflow/tfjs';
import { containerOf, nodesInOrder } from '../../models/inference/graph.ts';

export interface PrefixBoundary {
  /** Frozen layers whose outputs the trainable part reads (or the base returns), in base.layers order: the cut for exportOnnx. */
  outputs: string[];
  /** True when a trainable layer also reads the base's input directly. */
  readsInput: boolean;
}

/**
 * Where a partly frozen base (`applyFreezing`'s firstTrainableIndex into `base.layers`) crosses
 * from its fixed prefix into the trainable layers: the prefix runs on ONNX Runtime up to these
 * outputs, and the trainable part takes them as inputs on tfjs. With every layer frozen the
 * boundary is the base's own outputs.
 */
export function prefixBoundary(base: tf.LayersModel, firstTrainableIndex: number): PrefixBoundary {
  const container = containerOf(base);
  if (!container) throw new Error(`prefixBoundary: ${base.name} is not a functional model`);
  const index = new Map(base.layers.map((l, i) => [l.name, i]));
  const frozen = (name: string): boolean => (index.get(name) ?? Infinity) < firstTrainableIndex;
  const crossing = new Set<string>();
  let readsInput = false;
  const sourceOf = (t: unknown): tf.layers.Layer => (t as { sourceLayer: tf.layers.Layer }).sourceLayer;
  for (const node of nodesInOrder(container)) {
    if (frozen(node.outboundLayer.name)) continue;
    for (const t of node.inputTensors) {
      const source = sourceOf(t);
      if (!frozen(source.name)) continue;
      if (source.getClassName() === 'InputLayer') readsInput = true;
      else crossing.add(source.name);
    }
  }
  for (const t of base.outputs) {
    const source = sourceOf(t);
    if (frozen(source.name) && source.getClassName() !== 'InputLayer') crossing.add(source.name);
  }
  const outputs = [...crossing].sort((a, b) => index.get(a)! - index.get(b)!);
  return { outputs, readsInput };
}
