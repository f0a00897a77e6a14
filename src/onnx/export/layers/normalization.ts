import { UnsupportedLayerError } from '../errors.ts';
import { FeatureNormalization, NORMALIZATION_EPSILON } from '../../../models/layers/feature-normalization.ts';
import type { LayerContext } from './context.ts';

/** Keras Normalization on [N, features]: Sub(mean) then Div(max(√variance, ε)), as the layer computes it. */
export function normalizationLayer(ctx: LayerContext): string {
  const { graph, layer } = ctx;
  const x = ctx.inputs[0]!;
  if (!(layer instanceof FeatureNormalization) || x.shape.length !== 2)
    throw new UnsupportedLayerError('Normalization', layer.name, 'only the last-axis layer on [batch, features]');
  const { mean, variance } = layer.statistics();
  const std = Float32Array.from(variance, (v) => Math.max(Math.fround(Math.sqrt(v)), NORMALIZATION_EPSILON));
  const centred = graph.node(
    'Sub',
    [x.name, graph.float(`${layer.name}/mean`, mean, [mean.length])],
    `${layer.name}_sub`,
  );
  return graph.node('Div', [centred, graph.float(`${layer.name}/std`, std, [std.length])], layer.name);
}
