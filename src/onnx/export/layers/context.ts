import type * as tf from '@tensorflow/tfjs';
import type { OnnxGraph, Value } from '../graph.ts';

/** What a layer converter gets: the graph, the layer, its input values and its output's tfjs shape. */
export interface LayerContext {
  graph: OnnxGraph;
  layer: tf.layers.Layer;
  inputs: Value[];
  outputShape: (number | null)[];
  /** The layer's config, as tfjs serializes it. */
  config: Record<string, unknown>;
  /** The layers reading this layer's output in the same model; null when unknown (a nested model's output). */
  consumers: tf.layers.Layer[] | null;
}

/** Emits a layer's nodes and returns its output's ONNX value name; throws UnsupportedLayerError. */
export type LayerConverter = (ctx: LayerContext) => string;

export function only(ctx: LayerContext): Value {
  return ctx.inputs[0]!;
}

export function weightData(layer: tf.layers.Layer): { values: Float32Array; shape: number[] }[] {
  return layer.getWeights().map((w) => ({ values: w.dataSync() as Float32Array, shape: w.shape }));
}
