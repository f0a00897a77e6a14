import { UnsupportedLayerError } from '../errors.ts';
import { channelsLast, fromChannelsLast } from '../layout.ts';
import type { LayerContext } from './context.ts';

export function identityLayer(ctx: LayerContext): string {
  return ctx.inputs[0]!.name;
}

/** ZeroPadding2D: a constant Pad on H and W (ONNX Runtime folds it into the next Conv/pool). */
export function zeroPaddingLayer(ctx: LayerContext): string {
  const { config, layer } = ctx;
  if (config.dataFormat !== undefined && config.dataFormat !== 'channelsLast') {
    throw new UnsupportedLayerError('ZeroPadding2D', layer.name, `dataFormat ${String(config.dataFormat)}`);
  }
  const [[top, bottom], [left, right]] = config.padding as [[number, number], [number, number]];
  const pads = ctx.graph.int64([0, 0, top, left, 0, 0, bottom, right]);
  return ctx.graph.node('Pad', [ctx.inputs[0]!.name, pads], layer.name, { mode: 'constant' });
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
