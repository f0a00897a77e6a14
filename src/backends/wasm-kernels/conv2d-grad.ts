import * as tf from '@tensorflow/tfjs';
import { forwardConv, fullConvPadding, readRegion, type ForwardConv } from './conv-info.ts';
import { flipSpatial, padOrCrop4d, spreadAndPad } from './geometry.ts';
import { asTensor, type KernelParams } from './tensors.ts';

type Attrs = Record<string, unknown> & {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

/**
 * dW[kh,kw,ci,co] = Σ x[n, oh·s+kh−pt, ow·s+kw−pl, ci] · dy[n,oh,ow,co]: with the batch moved into
 * the channel axis this is one valid convolution of x (Cin "images") with dy (an OH×OW filter)
 * at dilation = the forward stride. 1×1 filters are a plain matrix product.
 */
export function conv2dBackpropFilter({ inputs, attrs }: KernelParams): tf.TensorInfo {
  const a = attrs as unknown as Attrs & { filterShape: [number, number, number, number] };
  const xInfo = inputs.x as tf.TensorInfo;
  const c = forwardConv(
    xInfo.shape,
    a.filterShape,
    a.strides,
    a.pad,
    a.dimRoundingMode,
    false,
    'Conv2DBackpropFilter',
    a.dataFormat,
  );
  return tf.tidy(() => {
    const x = asTensor<tf.Tensor4D>(xInfo);
    const dy = asTensor<tf.Tensor4D>(inputs.dy as tf.TensorInfo);
    const region = readRegion(c);
    const xr = padOrCrop4d(x, region.rows, region.cols);
    const [n, , , cin] = xr.shape;
    const cout = dy.shape[3];
    if (c.filterHeight === 1 && c.filterWidth === 1) {
      const picked =
        c.strideHeight === 1 && c.strideWidth === 1
          ? xr
          : (tf.stridedSlice(xr, [0, 0, 0, 0], xr.shape, [1, c.strideHeight, c.strideWidth, 1]) as tf.Tensor4D);
      const rows = n * c.outHeight * c.outWidth;
      const xt = tf.transpose(tf.reshape(picked, [rows, cin]));
      return tf.reshape(tf.matMul(xt, tf.reshape(dy, [rows, cout])), a.filterShape);
    }
    const xt = tf.transpose(xr, [3, 1, 2, 0]);
    const dyFilter = tf.transpose(dy, [1, 2, 0, 3]);
    const g = tf.conv2d(xt, dyFilter, 1, 'valid', 'NHWC', [c.strideHeight, c.strideWidth]);
    return tf.transpose(g, [1, 2, 0, 3]);
  });
}

// Measured on wasm (2 vCPUs): XNNPACK convolutions run at ~30 GFLOP/s but re-pack their filter on
// every call (~8 ns per weight) and our filter flip + channel swap adds ~8 ns more; wasm's own
// Conv2DBackpropInput runs at ~3 GFLOP/s over the taps that land inside the input and packs
// nothing. At small spatial sizes with wide filters (ResNet50's last stages at 32 px) the stock
// kernel wins by up to 100×; everywhere else ours wins by 2–20×.
const XNNPACK_FLOPS_PER_MS = 30e6;
const STOCK_FLOPS_PER_MS = 3e6;
const FILTER_PREP_MS_PER_WEIGHT = 16e-6;

export function conv2dInputGradientPath(c: ForwardConv, outChannels: number): 'xnnpack' | 'stock' {
  const weights = c.filterHeight * c.filterWidth * c.inChannels * outChannels;
  const ours =
    (2 * c.batch * c.inHeight * c.inWidth * weights) / XNNPACK_FLOPS_PER_MS + weights * FILTER_PREP_MS_PER_WEIGHT;
  const taps = Math.min(c.filterHeight, c.inHeight) * Math.min(c.filterWidth, c.inWidth);
  const stock = (2 * c.batch * c.outHeight * c.outWidth * taps * c.inChannels * outChannels) / STOCK_FLOPS_PER_MS;
  return stock < ours ? 'stock' : 'xnnpack';
}

/**
 * dx = the zero-inserted dy, padded by K−1−pad, convolved (stride 1, valid) with the filter
 * flipped in both spatial axes and its in/out channel axes swapped.
 */
export function conv2dBackpropInput(params: KernelParams, stock?: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { inputs, attrs } = params;
  const a = attrs as unknown as Attrs & { inputShape: [number, number, number, number] };
  const filterInfo = inputs.filter as tf.TensorInfo;
  const c = forwardConv(
    a.inputShape,
    filterInfo.shape,
    a.strides,
    a.pad,
    a.dimRoundingMode,
    false,
    'Conv2DBackpropInput',
    a.dataFormat,
  );
  if (stock && conv2dInputGradientPath(c, filterInfo.shape[3]) === 'stock') return stock(params);
  return tf.tidy(() => {
    const dy = asTensor<tf.Tensor4D>(inputs.dy as tf.TensorInfo);
    const filter = asTensor<tf.Tensor4D>(filterInfo);
    const [kh, kw, cin, cout] = filter.shape;
    if (
      kh === 1 &&
      kw === 1 &&
      c.strideHeight === 1 &&
      c.strideWidth === 1 &&
      c.padTop === 0 &&
      c.padLeft === 0 &&
      c.outHeight === c.inHeight &&
      c.outWidth === c.inWidth
    ) {
      const rows = c.batch * c.outHeight * c.outWidth;
      const wt = tf.transpose(tf.reshape(filter, [cin, cout]));
      return tf.reshape(tf.matMul(tf.reshape(dy, [rows, cout]), wt), a.inputShape);
    }
    const padding = fullConvPadding(c);
    const spread = spreadAndPad(dy, c.strideHeight, c.strideWidth, padding.rows, padding.cols);
    const w = tf.transpose(flipSpatial(filter), [0, 1, 3, 2]);
    return tf.conv2d(spread, w, 1, 'valid');
  });
}
