import * as tf from '@tensorflow/tfjs';
import { forwardConv, fullConvPadding } from './conv-info.ts';
import { flipSpatial, spreadAndPad } from './geometry.ts';
import { asTensor, type KernelParams } from './tensors.ts';

type Attrs = Record<string, unknown> & {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dilations?: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

/**
 * dx = the zero-inserted dy, padded by K−1−pad, depthwise-convolved with the flipped filter
 * (one output per input·multiplier channel), then summed over the multiplier.
 */
export function depthwiseBackpropInput({ inputs, attrs }: KernelParams): tf.TensorInfo {
  const a = attrs as unknown as Attrs & { inputShape: [number, number, number, number] };
  const filterInfo = inputs.filter as tf.TensorInfo;
  const c = forwardConv(
    a.inputShape,
    filterInfo.shape,
    a.strides,
    a.pad,
    a.dimRoundingMode,
    true,
    'DepthwiseConv2dNativeBackpropInput',
    undefined,
    a.dilations,
  );
  const [kh, kw, channels, multiplier] = filterInfo.shape;
  return tf.tidy(() => {
    const dy = asTensor<tf.Tensor4D>(inputs.dy as tf.TensorInfo);
    const filter = asTensor<tf.Tensor4D>(filterInfo);
    const padding = fullConvPadding(c);
    const spread = spreadAndPad(dy, c.strideHeight, c.strideWidth, padding.rows, padding.cols);
    const w = tf.reshape(flipSpatial(filter), [kh, kw, channels * multiplier, 1]) as tf.Tensor4D;
    const g = tf.depthwiseConv2d(spread, w, 1, 'valid');
    if (multiplier === 1) return g;
    const [n, h, wd] = g.shape;
    return tf.sum(tf.reshape(g, [n, h, wd, channels, multiplier]), 4);
  });
}
