import type * as tf from '@tensorflow/tfjs';
import { bnScaleOffset64, type BatchNormFields } from '../../../models/index.ts';
import { UnsupportedLayerError } from '../errors.ts';
import type { LayerContext } from './context.ts';

/**
 * Inference-mode batch normalisation of a BatchNormalization layer as per-channel
 * scale = γ/√(moving var + ε) and offset = β − moving mean·scale, in float64. Exports always use
 * the moving statistics: what a frozen (Keras 2) or `training: false` BN computes.
 */
export function batchNormAffine(layer: tf.layers.Layer, rank: number): { scale: Float64Array; offset: Float64Array } {
  const bn = layer as unknown as BatchNormFields;
  if (bn.axis !== -1 && bn.axis !== rank - 1) {
    throw new UnsupportedLayerError(
      'BatchNormalization',
      layer.name,
      `axis ${bn.axis} (only the channel axis, last, is exported)`,
    );
  }
  return bnScaleOffset64(bn);
}

/**
 * A BatchNormalization no convolution absorbed (DenseNet's BN → ReLU → conv): an inference-mode
 * ONNX BatchNormalization of the moving statistics. Kept as that node rather than Mul + Add, so
 * ONNX Runtime can run it in its blocked (NCHWc) layout as a depthwise 1×1 convolution fused with
 * the ReLU after it.
 */
export function batchNormLayer(ctx: LayerContext): string {
  const x = ctx.inputs[0]!;
  const rank = x.shape.length;
  if (rank !== 2 && rank !== 4)
    throw new UnsupportedLayerError('BatchNormalization', ctx.layer.name, `rank-${rank} input`);
  const bn = ctx.layer as unknown as BatchNormFields;
  if (bn.axis !== -1 && bn.axis !== rank - 1) {
    throw new UnsupportedLayerError(
      'BatchNormalization',
      ctx.layer.name,
      `axis ${bn.axis} (only the channel axis, last, is exported)`,
    );
  }
  const mean = bn.movingMean.read().dataSync() as Float32Array;
  const channels = mean.length;
  const vector = (name: string, v: { read(): tf.Tensor } | null, fill: number): string =>
    ctx.graph.float(
      `${ctx.layer.name}/${name}`,
      v ? (v.read().dataSync() as Float32Array) : new Float32Array(channels).fill(fill),
      [channels],
    );
  const inputs = [
    x.name,
    vector('gamma', bn.gamma, 1),
    vector('beta', bn.beta, 0),
    vector('moving_mean', bn.movingMean, 0),
    vector('moving_variance', bn.movingVariance, 1),
  ];
  return ctx.graph.node('BatchNormalization', inputs, ctx.layer.name, { epsilon: { f: bn.epsilon } });
}
