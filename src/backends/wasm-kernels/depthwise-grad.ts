import * as tf from '@tensorflow/tfjs';
import { forwardConv, fullConvPadding, readRegion } from './conv-info.ts';
import { flipSpatial, insertZeros, padOrCrop4d } from './geometry.ts';
import { asTensor, type KernelParams } from './tensors.ts';

type Attrs = Record<string, unknown> & {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dilations?: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

/**
 * dW[kh,kw,c,m] = Σ x[n, oh·s+kh−pt, ow·s+kw−pl, c] · dy[n,oh,ow,c·M+m]: x becomes one image with
 * N·C channels, dy an OH×OW depthwise filter with multiplier M, the depthwise convolution runs
 * at dilation = the forward stride, and the batch is summed out.
 */
export function depthwiseBackpropFilter({ inputs, attrs }: KernelParams): tf.TensorInfo {
  const a = attrs as unknown as Attrs & { filterShape: [number, number, number, number] };
  const xInfo = inputs.x as tf.TensorInfo;
  const c = forwardConv(xInfo.shape, a.filterShape, a.strides, a.pad, a.dimRoundingMode, true,
    'DepthwiseConv2dNativeBackpropFilter', undefined, a.dilations);
  const [kh, kw, channels, multiplier] = a.filterShape;
  return tf.tidy(() => {
    const x = asTensor<tf.Tensor4D>(xInfo);
    const dy = asTensor<tf.Tensor4D>(inputs.dy as tf.TensorInfo);
    const region = readRegion(c);
    const xr = padOrCrop4d(x, region.rows, region.cols);
    const [n, h, w] = xr.shape;
    const image = tf.reshape(tf.transpose(xr, [1, 2, 0, 3]), [1, h, w, n * channels]) as tf.Tensor4D;
    const dyFilter = tf.reshape(tf.transpose(dy, [1, 2, 0, 3]), [c.outHeight, c.outWidth, n * channels, multiplier]) as tf.Tensor4D;
    const g = tf.depthwiseConv2d(image, dyFilter, 1, 'valid', 'NHWC', [c.strideHeight, c.strideWidth]);
    return tf.reshape(tf.sum(tf.reshape(g, [kh, kw, n, channels, multiplier]), 2), a.filterShape);
  });
}

/**
 * dx = the zero-inserted dy, padded by K−1−pad, depthwise-convolved with the flipped filter
 * (one output per input·multiplier channel), then summed over the multiplier.
 */
export function depthwiseBackpropInput({ inputs, attrs }: KernelParams): tf.TensorInfo {
  const a = attrs as unknown as Attrs & { inputShape: [number, number, number, number] };
  const filterInfo = inputs.filter as tf.TensorInfo;
  const c = forwardConv(a.inputShape, filterInfo.shape, a.strides, a.pad, a.dimRoundingMode, true,
    'DepthwiseConv2dNativeBackpropInput', undefined, a.dilations);
  const [kh, kw, channels, multiplier] = filterInfo.shape;
  return tf.tidy(() => {
    const dy = asTensor<tf.Tensor4D>(inputs.dy as tf.TensorInfo);
    const filter = asTensor<tf.Tensor4D>(filterInfo);
    const padding = fullConvPadding(c);
    const spread = padOrCrop4d(insertZeros(dy, c.strideHeight, c.strideWidth), padding.rows, padding.cols);
    const w = tf.reshape(flipSpatial(filter), [kh, kw, channels * multiplier, 1]) as tf.Tensor4D;
    const g = tf.depthwiseConv2d(spread, w, 1, 'valid');
    if (multiplier === 1) return g;
    const [n, h, wd] = g.shape;
    return tf.sum(tf.reshape(g, [n, h, wd, channels, multiplier]), 4);
  });
}
