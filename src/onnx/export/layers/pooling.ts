import { UnsupportedLayerError } from '../errors.ts';
import { pair, spatialPads } from '../layout.ts';
import type { LayerContext } from './context.ts';

/**
 * MaxPooling2D / AveragePooling2D. TensorFlow's SAME pooling averages over the pixels inside the
 * image only, which is ONNX's count_include_pad = 0; a max ignores padding in both.
 */
export function poolLayer(op: 'MaxPool' | 'AveragePool') {
  return (ctx: LayerContext): string => {
    const { config, layer } = ctx;
    const x = ctx.inputs[0]!;
    if (config.dataFormat !== undefined && config.dataFormat !== 'channelsLast') {
      throw new UnsupportedLayerError(layer.getClassName(), layer.name, `dataFormat ${String(config.dataFormat)}`);
    }
    const kernel = pair(config.poolSize as number | number[]);
    const strides = pair((config.strides ?? config.poolSize) as number | number[]);
    const pads = spatialPads(String(config.padding), x.shape, kernel, strides, [1, 1]);
    const attrs: Record<string, number | number[]> = { kernel_shape: kernel, strides, pads };
    if (op === 'AveragePool') attrs.count_include_pad = 0;
    return ctx.graph.node(op, [x.name], layer.name, attrs);
  };
}

/** GlobalAveragePooling2D / GlobalMaxPooling2D: [N, C, H, W] → [N, C], as tfjs' [N, C]. */
export function globalPoolLayer(op: 'GlobalAveragePool' | 'GlobalMaxPool') {
  return (ctx: LayerContext): string => {
    if (ctx.config.keepDims === true) {
      throw new UnsupportedLayerError(ctx.layer.getClassName(), ctx.layer.name, 'keepDims');
    }
    const pooled = ctx.graph.node(op, [ctx.inputs[0]!.name], ctx.layer.name);
    return ctx.graph.node('Flatten', [pooled], ctx.layer.name, { axis: 1 });
  };
}
