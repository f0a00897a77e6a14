import * as tf from '@tensorflow/tfjs';

// The parts of tfjs-layers' functional graph (Container / Node / SymbolicTensor) that an inference
// plan walks; tfjs exposes them as public fields without exporting their types.
export type Kwargs = { [key: string]: unknown };

interface SymbolicRef {
  id: number;
}

export interface GraphNode {
  outboundLayer: tf.layers.Layer;
  inputTensors: SymbolicRef[];
  outputTensors: SymbolicRef[];
  callArgs?: Kwargs;
}

export interface GraphContainer {
  name: string;
  inputs: SymbolicRef[];
  outputs: SymbolicRef[];
  nodesByDepth: Record<string, GraphNode[]>;
}

/** The functional graph behind a layer that is itself a model (a nested base, a Sequential), or null. */
export function containerOf(layer: tf.layers.Layer): GraphContainer | null {
  const inner = layer.getClassName() === 'Sequential' ? (layer as unknown as { model?: unknown }).model : layer;
  const c = inner as Partial<GraphContainer> | undefined;
  return c && c.nodesByDepth && Array.isArray(c.inputs) && Array.isArray(c.outputs) ? (c as GraphContainer) : null;
}

/** The container's nodes in execution order: deepest first, as tfjs' own `runInternalGraph` runs them. */
export function nodesInOrder(container: GraphContainer): GraphNode[] {
  return Object.keys(container.nodesByDepth)
    .map(Number)
    .sort((a, b) => b - a)
    .flatMap((depth) => container.nodesByDepth[depth] ?? []);
}
