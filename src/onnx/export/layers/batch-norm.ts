import type * as tf from '@tensorflow/tfjs';
import { UnsupportedLayerError } from '../errors.ts';
import type { LayerContext } from './context.ts';

interface BatchNormFields {
  gamma: { read(): tf.Tensor } | null;
  beta: { read(): tf.Tensor } | null;
  movingMean: { read(): tf.Tensor };
  movingVariance: { read(): tf.Tensor };
  axis: number;
  epsilon: number;
}

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
  const read = (v: { read(): tf.Tensor } | null): Float32Array | null =>
    v ? (v.read().dataSync() as Float32Array) : null;
  const variance = read(bn.movingVariance)!;
  const mean = read(bn.movingMean)!;
  const gamma = read(bn.gamma);
  const beta = read(bn.beta);
  const scale = new Float64Array(variance.length);
  const offset = new Float64Array(variance.length);
  for (let c = 0; c < variance.length; c++) {
    scale[c] = (gamma ? gamma[c]! : 1) / Math.sqrt(variance[c]! + bn.epsilon);
    offset[c] = (beta ? beta[c]! : 0) - mean[c]! * scale[c]!;
  }
  return { scale, offset };
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
