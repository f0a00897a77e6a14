import { UnsupportedLayerError } from '../errors.ts';
import { layerActivation } from './activation.ts';
import { weightData, type LayerContext } from './context.ts';

/** Dense on [N, features]: Gemm with the [in, out] kernel and the bias, then the activation. */
export function denseLayer(ctx: LayerContext): string {
  const x = ctx.inputs[0]!;
  if (x.shape.length !== 2)
    throw new UnsupportedLayerError('Dense', ctx.layer.name, `rank-${x.shape.length} input (only [batch, features])`);
  const [kernel, bias] = weightData(ctx.layer);
  const [, units] = kernel!.shape as [number, number];
  const inputs = [x.name, ctx.graph.float(`${ctx.layer.name}/kernel`, kernel!.values, kernel!.shape)];
  if (ctx.config.useBias && bias) inputs.push(ctx.graph.float(`${ctx.layer.name}/bias`, bias.values, [units]));
  const y = ctx.graph.node('Gemm', inputs, ctx.layer.name);
  return layerActivation(ctx, { name: y, shape: ctx.outputShape });
}
