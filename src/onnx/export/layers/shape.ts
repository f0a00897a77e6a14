import { UnsupportedLayerError } from '../errors.ts';
import { channelsLast, fromChannelsLast } from '../layout.ts';
import type { LayerContext } from './context.ts';

export function identityLayer(ctx: LayerContext): string {
  return ctx.inputs[0]!.name;
}

const CONV_CLASSES = new Set(['Conv2D', 'DepthwiseConv2D']);

/**
 * ZeroPadding2D as a constant Pad on H and W. ONNX Runtime merges a zero Pad into the Conv,
 * MaxPool or AveragePool after it; for a convolution that is exact (and faster), for pooling it
 * is not: MaxPool's own padding is −∞ and AveragePool's is left out of the count, where Keras
 * pools over the zeros. So unless only convolutions read it, the pad value is written as −0.0,
 * which pads with zeros all the same but is not the all-zero-bytes constant that the fusion requires.
 */
export function zeroPaddingLayer(ctx: LayerContext): string {
  const { config, layer, graph } = ctx;
  if (config.dataFormat !== undefined && config.dataFormat !== 'channelsLast') {
    throw new UnsupportedLayerError('ZeroPadding2D', layer.name, `dataFormat ${String(config.dataFormat)}`);
  }
  const [[top, bottom], [left, right]] = config.padding as [[number, number], [number, number]];
  return zeroPad(ctx, [top, left, bottom, right]);
}

/** A Pad of [top, left, bottom, right] zeros on an NCHW value (see zeroPaddingLayer for −0.0). */
export function zeroPad(ctx: LayerContext, [top, left, bottom, right]: number[]): string {
  const { graph, layer } = ctx;
  const pads = graph.int64([0, 0, top!, left!, 0, 0, bottom!, right!]);
  const inputs = [ctx.inputs[0]!.name, pads];
  const onlyConvs = ctx.consumers !== null && ctx.consumers.length > 0 && ctx.consumers.every((c) => CONV_CLASSES.has(c));
  if (!onlyConvs) inputs.push(graph.float(`${layer.name}/negative_zero`, Float32Array.of(-0), []));
  return graph.node('Pad', inputs, layer.name, { mode: 'constant' });
}

/** Flatten in tfjs' (channels-last) element order. */
export function flattenLayer(ctx: LayerContext): string {
  const x = ctx.inputs[0]!;
  return ctx.graph.node('Flatten', [channelsLast(ctx.graph, x, ctx.layer.name)], ctx.layer.name, { axis: 1 });
}

/** Reshape in tfjs' element order: to channels-last, reshape, back to NCHW when the result is rank 4. */
export function reshapeLayer(ctx: LayerContext): string {
  const x = ctx.inputs[0]!;
  const target = (ctx.config.targetShape as number[]).map((d) => (d == null ? -1 : d));
  const shape = ctx.graph.int64([0, ...target]);
  const y = ctx.graph.node('Reshape', [channelsLast(ctx.graph, x, ctx.layer.name), shape], ctx.layer.name);
  return fromChannelsLast(ctx.graph, y, target.length + 1, ctx.layer.name);
}
