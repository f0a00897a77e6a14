import { UnsupportedLayerError } from '../errors.ts';
import type * as tf from '@tensorflow/tfjs';
import { channelsLast, fromChannelsLast, pair } from '../layout.ts';
import type { LayerContext } from './context.ts';

export function identityLayer(ctx: LayerContext): string {
  return ctx.inputs[0]!.name;
}

/**
 * ZeroPadding2D as a constant Pad on H and W. ONNX Runtime merges a zero Pad into the Conv,
 * MaxPool or AveragePool after it. For a convolution that is exact (and faster); for pooling it is
 * not in general: MaxPool's own padding is −∞ and AveragePool's is left out of the count, where
 * Keras pools over the zeros. A max over a window that holds real pixels ≥ 0 is the same either
 * way (DenseNet's and ResNet's ReLU → pad → valid max pool), so there the plain zero stays; in every
 * other case the pad value is written as −0.0, which pads with zeros all the same but is not the
 * all-zero-bytes constant that the fusion requires.
 */
export function zeroPaddingLayer(ctx: LayerContext): string {
  const { config, layer } = ctx;
  if (config.dataFormat !== undefined && config.dataFormat !== 'channelsLast') {
    throw new UnsupportedLayerError('ZeroPadding2D', layer.name, `dataFormat ${String(config.dataFormat)}`);
  }
  const [[top, bottom], [left, right]] = config.padding as [[number, number], [number, number]];
  return zeroPad(ctx, [top, left, bottom, right]);
}

/** A Pad of [top, left, bottom, right] zeros on an NCHW value (see zeroPaddingLayer for −0.0). */
export function zeroPad(ctx: LayerContext, pads: number[]): string {
  const { graph, layer } = ctx;
  const [top, left, bottom, right] = pads as [number, number, number, number];
  const inputs = [ctx.inputs[0]!.name, graph.int64([0, 0, top, left, 0, 0, bottom, right])];
  const fusable =
    ctx.consumers !== null &&
    ctx.consumers.length > 0 &&
    ctx.consumers.every((c) => fusionIsExact(c, ctx.inputs[0]!.nonNegative === true, pads));
  if (!fusable) inputs.push(graph.float(`${layer.name}/negative_zero`, Float32Array.of(-0), []));
  return graph.node('Pad', inputs, layer.name, { mode: 'constant' });
}

function fusionIsExact(consumer: tf.layers.Layer, nonNegative: boolean, pads: number[]): boolean {
  const cls = consumer.getClassName();
  if (cls === 'Conv2D' || cls === 'DepthwiseConv2D') return true;
  if (cls !== 'MaxPooling2D' || !nonNegative) return false;
  const config = consumer.getConfig() as { padding?: string; poolSize?: number | number[] };
  const [ph, pw] = pair(config.poolSize);
  // Every window then still covers a real pixel, and ONNX Runtime accepts the merged pads.
  return config.padding === 'valid' && pads[0]! < ph && pads[2]! < ph && pads[1]! < pw && pads[3]! < pw;
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
