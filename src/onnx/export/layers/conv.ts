import type * as tf from '@tensorflow/tfjs';
import { UnsupportedLayerError } from '../errors.ts';
import { convKernelToOihw, depthwiseKernelToOihw, pair, spatialPads } from '../layout.ts';
import { layerActivation } from './activation.ts';
import { batchNormAffine } from './batch-norm.ts';
import { weightData, type LayerContext } from './context.ts';

/**
 * Conv2D / DepthwiseConv2D as one ONNX Conv (depthwise: group = input channels), with `bn` — the
 * BatchNormalization that alone reads this convolution's output — folded into its weights and
 * bias in float64. The layer's own activation follows as a node (ONNX Runtime fuses Conv + Relu/Clip).
 */
export function convLayer(ctx: LayerContext, bn: tf.layers.Layer | null): string {
  const { layer, config, graph } = ctx;
  const cls = layer.getClassName();
  const x = ctx.inputs[0]!;
  if (config.dataFormat !== undefined && config.dataFormat !== 'channelsLast') {
    throw new UnsupportedLayerError(cls, layer.name, `dataFormat ${String(config.dataFormat)}`);
  }
  if (config.padding !== 'same' && config.padding !== 'valid') {
    throw new UnsupportedLayerError(cls, layer.name, `padding ${String(config.padding)}`);
  }
  const [kernel, bias] = weightData(layer);
  const [kh, kw, cin, last] = kernel!.shape as [number, number, number, number];
  const depthwise = cls === 'DepthwiseConv2D';
  const outChannels = depthwise ? cin * last : last;
  const weight = depthwise
    ? depthwiseKernelToOihw(kernel!.values, kernel!.shape)
    : convKernelToOihw(kernel!.values, kernel!.shape);
  const b = new Float64Array(outChannels);
  if (config.useBias && bias) b.set(bias.values);
  if (bn) {
    const { scale, offset } = batchNormAffine(bn, 4);
    if (scale.length !== outChannels)
      throw new Error(
        `ONNX export: ${bn.name} normalises ${scale.length} channels, ${layer.name} makes ${outChannels}`,
      );
    const perOutput = weight.length / outChannels;
    for (let o = 0; o < outChannels; o++) {
      for (let i = o * perOutput; i < (o + 1) * perOutput; i++) weight[i] = weight[i]! * scale[o]!;
      b[o] = b[o]! * scale[o]! + offset[o]!;
    }
  }
  const strides = pair(config.strides as number | number[]);
  const dilations = pair(config.dilationRate as number | number[] | undefined);
  const hint = bn ? bn.name : layer.name;
  const w = graph.float(`${layer.name}/kernel`, weight, [outChannels, depthwise ? 1 : cin, kh, kw]);
  const inputs = [x.name, w];
  if ((config.useBias && bias) || bn) inputs.push(graph.float(`${hint}/bias`, Float32Array.from(b), [outChannels]));
  const y = graph.node('Conv', inputs, hint, {
    kernel_shape: [kh, kw],
    strides,
    dilations,
    pads: spatialPads(config.padding, x.shape, [kh, kw], strides, dilations),
    group: depthwise ? cin : 1,
  });
  return layerActivation(ctx, { name: y, shape: ctx.outputShape });
}
