import type * as tf from '@tensorflow/tfjs';
import type { PreprocessMode } from '../../data/index.ts';
import { containerOf, nodesInOrder, type GraphContainer, type GraphNode } from '../../models/inference/graph.ts';
import { UnsupportedLayerError } from './errors.ts';
import { OnnxGraph, type Value } from './graph.ts';
import { LAYER_CONVERTERS } from './layers/index.ts';
import { convLayer } from './layers/conv.ts';
import { TO_NCHW, TO_NHWC } from './layout.ts';
import { preprocessNodes } from './preprocess.ts';
import { producesNonNegative } from './sign.ts';

export interface OnnxExportOptions {
  /** Keras `preprocess_input` applied inside the graph to raw 0..255 input (default `none`: the caller preprocesses). */
  preprocess?: PreprocessMode;
  /**
   * Cut points: the graph ends at these layers' outputs (layer names, also of layers inside a
   * nested base). Default: the model's outputs. A frozen prefix is the cut at `prefixBoundary`.
   */
  outputs?: string[];
  /** Global pooling appended to every spatial (rank-4) output: the base's pooled features. */
  pooling?: 'avg' | 'max';
}

export interface OnnxExportValue {
  /** The ONNX input/output name. */
  name: string;
  /** The layer it comes from (outputs) or the model's input layer (input). */
  layer: string;
  /** tfjs order (NHWC / [N, features]); null = the batch. */
  shape: (number | null)[];
}

export interface OnnxExport {
  /** The serialized ModelProto, for `InferenceSession.create(bytes)` or a `.onnx` file. */
  bytes: Uint8Array;
  input: OnnxExportValue;
  outputs: OnnxExportValue[];
  summary: { layers: number; foldedBatchNorms: number; nodes: number };
}

interface SymbolicTensorRef {
  id: number;
  shape: (number | null)[];
  name: string;
}

type Bound = Value | { error: UnsupportedLayerError };

/**
 * Translates a tfjs LayersModel (the project's bases and classifiers, nested models inlined) into
 * an ONNX model, reading the weights as they are now — export again after weights change. The
 * input and the outputs are in tfjs' channels-last order; inside, the graph runs NCHW with one
 * Transpose after the input and one before each spatial output. BatchNormalization runs in
 * inference mode (moving statistics), folded into the convolution that alone feeds it.
 *
 * A layer with no ONNX translation throws UnsupportedLayerError — only when the requested
 * outputs depend on it.
 */
export function exportOnnx(model: tf.LayersModel, opts: OnnxExportOptions = {}): OnnxExport {
  const container = containerOf(model);
  if (!container) throw new Error(`ONNX export: ${model.name} is not a functional model`);
  if (container.inputs.length !== 1)
    throw new Error(`ONNX export: ${model.name} has ${container.inputs.length} inputs; one is supported`);
  const graph = new OnnxGraph();
  const bound = new Map<number, Bound>();
  const inputRef = container.inputs[0] as unknown as SymbolicTensorRef;
  const inputLayer = model.inputLayers[0]?.name ?? 'input';
  const input: Value = { name: graph.reserve(inputLayer), shape: inputRef.shape };
  let x = preprocessNodes(graph, input.name, opts.preprocess ?? 'none');
  if (input.shape.length === 4) x = graph.node('Transpose', [x], 'input', { perm: TO_NCHW });
  bound.set(inputRef.id, { name: x, shape: input.shape });

  const walker = new Walker(graph, bound, opts.outputs);
  walker.walk(container);
  const wanted: { id: number; layer: string }[] = opts.outputs
    ? opts.outputs.map((layer) => {
        const id = walker.layerOutputs.get(layer);
        if (id === undefined) throw new Error(`ONNX export: ${model.name} has no layer named "${layer}"`);
        return { id, layer };
      })
    : container.outputs.map((t, i) => ({ id: t.id, layer: model.outputLayers[i]?.name ?? `output_${i}` }));

  const outputs = wanted.map(({ id, layer }) => {
    const value = bound.get(id);
    if (!value) throw new Error(`ONNX export: the output of "${layer}" was never computed`);
    if ('error' in value) throw value.error;
    let { name, shape } = value;
    if (shape.length === 4 && opts.pooling) {
      name = graph.node(
        'Flatten',
        [graph.node(opts.pooling === 'avg' ? 'GlobalAveragePool' : 'GlobalMaxPool', [name], layer)],
        layer,
        { axis: 1 },
      );
      shape = [shape[0]!, shape[3]!];
    } else if (shape.length === 4) {
      name = graph.node('Transpose', [name], layer, { perm: TO_NHWC });
    }
    return { name: graph.node('Identity', [name], layer, {}, graph.name(layer)), layer, shape };
  });
  const bytes = graph.serialize([input], outputs, {
    producer: model.name,
    docString: `${model.name}${opts.outputs ? ` cut at ${opts.outputs.join(', ')}` : ''}; preprocess ${opts.preprocess ?? 'none'}; pooling ${opts.pooling ?? 'none'}`,
  });
  return {
    bytes,
    input: { name: input.name, layer: inputLayer, shape: input.shape },
    outputs,
    summary: { layers: walker.layers, foldedBatchNorms: walker.foldedBatchNorms, nodes: graph.nodeCount },
  };
}

class Walker {
  /** Layer name → the id of its first node's output, for cut points. */
  readonly layerOutputs = new Map<string, number>();
  layers = 0;
  foldedBatchNorms = 0;
  private readonly pending: Set<string> | null;

  constructor(
    private readonly graph: OnnxGraph,
    private readonly bound: Map<number, Bound>,
    outputs: string[] | undefined,
  ) {
    this.pending = outputs ? new Set(outputs) : null;
  }

  /** Converts a container's nodes in execution order; false once every requested cut is reached. */
  walk(container: GraphContainer): boolean {
    const nodes = nodesInOrder(container).filter((n) => n.outboundLayer.getClassName() !== 'InputLayer');
    const consumers = new Map<number, GraphNode[]>();
    for (const node of nodes)
      for (const t of node.inputTensors) consumers.set(t.id, [...(consumers.get(t.id) ?? []), node]);
    const outputIds = new Set(container.outputs.map((t) => t.id));
    const absorbed = new Set<GraphNode>();
    for (const node of nodes) {
      if (this.pending?.size === 0) return false;
      if (absorbed.has(node)) continue;
      const layer = node.outboundLayer;
      const inputs = node.inputTensors.map(
        (t) =>
          this.bound.get(t.id) ?? {
            error: new UnsupportedLayerError(layer.getClassName(), layer.name, 'an input was never computed'),
          },
      );
      const poisoned = inputs.find((v): v is { error: UnsupportedLayerError } => 'error' in v);
      if (poisoned) {
        // Unsupported upstream: fails the export only if a requested output depends on it.
        for (const t of node.outputTensors) this.bound.set(t.id, poisoned);
        this.noteOutput(layer.name, node);
        continue;
      }
      const values = inputs as Value[];
      const nested = containerOf(layer);
      if (nested) {
        nested.inputs.forEach((t, i) => this.bound.set(t.id, values[i]!));
        const more = this.walk(nested);
        nested.outputs.forEach((t, i) =>
          this.bound.set(
            node.outputTensors[i]!.id,
            this.bound.get(t.id) ?? {
              error: new UnsupportedLayerError(layer.getClassName(), layer.name, 'cut inside it'),
            },
          ),
        );
        this.noteOutput(layer.name, node);
        if (!more) return false;
        continue;
      }
      const out = node.outputTensors[0] as unknown as SymbolicTensorRef;
      const config = layer.getConfig() as Record<string, unknown>;
      const readers = outputIds.has(out.id) ? null : (consumers.get(out.id) ?? []).map((n) => n.outboundLayer);
      const ctx = { graph: this.graph, layer, inputs: values, outputShape: out.shape, config, consumers: readers };
      let result: Bound;
      let endNode = node;
      try {
        const bn = this.foldableBatchNorm(node, config, consumers, outputIds);
        if (bn) {
          absorbed.add(bn);
          endNode = bn;
          this.foldedBatchNorms++;
          result = {
            name: convLayer(ctx, bn.outboundLayer),
            shape: (bn.outputTensors[0] as unknown as SymbolicTensorRef).shape,
          };
        } else {
          const convert = LAYER_CONVERTERS[layer.getClassName()];
          if (!convert) throw new UnsupportedLayerError(layer.getClassName(), layer.name, 'no ONNX translation');
          result = { name: convert(ctx), shape: out.shape };
        }
        if (producesNonNegative(layer, config, values)) result.nonNegative = true;
        this.layers++;
      } catch (error) {
        if (!(error instanceof UnsupportedLayerError)) throw error;
        result = { error };
      }
      if (node.outputTensors.length !== 1)
        result = {
          error: new UnsupportedLayerError(layer.getClassName(), layer.name, `${node.outputTensors.length} outputs`),
        };
      if (endNode !== node) {
        // The convolution's own output no longer exists: only its BN's does (never a requested cut).
        this.bound.set(node.outputTensors[0]!.id, {
          error: new UnsupportedLayerError(
            layer.getClassName(),
            layer.name,
            `folded into ${endNode.outboundLayer.name}`,
          ),
        });
        this.noteOutput(layer.name, node);
      }
      this.bound.set(endNode.outputTensors[0]!.id, result);
      this.noteOutput(endNode.outboundLayer.name, endNode);
    }
    return this.pending?.size !== 0;
  }

  /** The BatchNormalization node that alone reads a linear convolution's output, if any. */
  private foldableBatchNorm(
    node: GraphNode,
    config: Record<string, unknown>,
    consumers: Map<number, GraphNode[]>,
    outputIds: Set<number>,
  ): GraphNode | null {
    const cls = node.outboundLayer.getClassName();
    if (cls !== 'Conv2D' && cls !== 'DepthwiseConv2D') return null;
    if ((config.activation ?? 'linear') !== 'linear') return null;
    const id = node.outputTensors[0]!.id;
    const readers = consumers.get(id) ?? [];
    if (readers.length !== 1 || outputIds.has(id) || this.pending?.has(node.outboundLayer.name)) return null;
    const next = readers[0]!;
    return next.outboundLayer.getClassName() === 'BatchNormalization' && next.inputTensors.length === 1 ? next : null;
  }

  private noteOutput(name: string, node: GraphNode): void {
    if (!this.layerOutputs.has(name)) this.layerOutputs.set(name, node.outputTensors[0]!.id);
    this.pending?.delete(name);
  }
}
