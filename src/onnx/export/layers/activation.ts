import { UnsupportedLayerError } from '../errors.ts';
import type { OnnxGraph, Value } from '../graph.ts';
import { onnxAxis } from '../layout.ts';
import type { LayerContext } from './context.ts';

// tfjs' SELU constants (Keras' too); ONNX's defaults are rounded differently in the last digits.
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/**
 * Nodes computing a tfjs activation (by its serialized name) on `x`; softmax is over the last
 * tfjs axis. Returns null for a name with no ONNX equivalent here.
 */
export function activation(graph: OnnxGraph, name: string, x: Value, hint: string): string | null {
  switch (name) {
    case 'linear':
      return x.name;
    case 'relu':
      return graph.node('Relu', [x.name], hint);
    case 'relu6':
      return clip(graph, x.name, 0, 6, hint);
    case 'sigmoid':
      return graph.node('Sigmoid', [x.name], hint);
    case 'tanh':
      return graph.node('Tanh', [x.name], hint);
    case 'elu':
      return graph.node('Elu', [x.name], hint, { alpha: { f: 1 } });
    case 'selu':
      return graph.node('Selu', [x.name], hint, { alpha: { f: SELU_ALPHA }, gamma: { f: SELU_SCALE } });
    case 'softplus':
      return graph.node('Softplus', [x.name], hint);
    case 'softsign':
      return graph.node('Softsign', [x.name], hint);
    case 'hardSigmoid':
      return graph.node('HardSigmoid', [x.name], hint, { alpha: { f: 0.2 }, beta: { f: 0.5 } });
    case 'swish':
      return graph.node('Mul', [x.name, graph.node('Sigmoid', [x.name], hint)], hint);
    case 'softmax':
      return graph.node('Softmax', [x.name], hint, { axis: onnxAxis(-1, x.shape.length) });
    default:
      return null;
  }
}

export function clip(graph: OnnxGraph, x: string, min: number, max: number, hint: string): string {
  const lo = graph.float(`${hint}/clip_min`, Float32Array.of(min), []);
  const hi = graph.float(`${hint}/clip_max`, Float32Array.of(max), []);
  return graph.node('Clip', [x, lo, hi], hint);
}

/** The activation a conv/dense layer applies after its bias, or an UnsupportedLayerError. */
export function layerActivation(ctx: LayerContext, x: Value): string {
  const name = String(ctx.config.activation ?? 'linear');
  const out = activation(ctx.graph, name, x, ctx.layer.name);
  if (out === null) throw new UnsupportedLayerError(ctx.layer.getClassName(), ctx.layer.name, `activation "${name}"`);
  return out;
}

export function activationLayer(ctx: LayerContext): string {
  return layerActivation(ctx, ctx.inputs[0]!);
}

/** Keras ReLU(max_value, negative_slope, threshold) as tfjs has it: max_value only. */
export function reluLayer(ctx: LayerContext): string {
  const x = ctx.inputs[0]!;
  const maxValue = (ctx.layer as unknown as { maxValue?: number | null }).maxValue;
  const relu = ctx.graph.node('Relu', [x.name], ctx.layer.name);
  return maxValue == null ? relu : clip(ctx.graph, relu, 0, maxValue, ctx.layer.name);
}

export function leakyReluLayer(ctx: LayerContext): string {
  const alpha = Number((ctx.layer as unknown as { alpha: number }).alpha);
  return ctx.graph.node('LeakyRelu', [ctx.inputs[0]!.name], ctx.layer.name, { alpha: { f: alpha } });
}

export function softmaxLayer(ctx: LayerContext): string {
  const x = ctx.inputs[0]!;
  const axis = ctx.config.axis;
  if (typeof axis !== 'number')
    throw new UnsupportedLayerError('Softmax', ctx.layer.name, `axis ${JSON.stringify(axis)}`);
  return ctx.graph.node('Softmax', [x.name], ctx.layer.name, { axis: onnxAxis(axis, x.shape.length) });
}
