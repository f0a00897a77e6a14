import * as tf from '@tensorflow/tfjs';
import { forwardConv } from './conv-info.ts';
import { heapViews } from './heap.ts';
import type { KernelParams } from './tensors.ts';

// Kernels that work directly on the wasm heap from JavaScript. They replace wasm operations that
// are slow for what they do: wasm's Slice copies its whole input off the heap and then walks it
// element by element; XNNPACK's depthwise convolution with an OH×OW kernel (the filter gradient) runs
// at ~0.3 GFLOP/s.

/** Slice as one memcpy per contiguous run (the trailing axes taken whole plus one partial axis). */
export function makeFastSlice(stock: tf.KernelFunc): tf.KernelFunc {
  return (params) => {
    const x = params.inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return stock(params);
    const attrs = params.attrs as unknown as { begin: number | number[]; size: number | number[] };
    const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin, attrs.size);
    const shape = x.shape;
    const rank = shape.length;
    if (rank === 0 || size.some((s) => s === 0)) return stock(params);
    const strides = [...Array(rank).keys()].map((i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
    // The outermost axis from which the rest of the slice is one contiguous run.
    let axis = rank - 1;
    while (axis > 0 && begin[axis] === 0 && size[axis] === shape[axis]) axis--;
    const run = size[axis] * strides[axis];
    const { out, outView, views } = heapViews(params.backend, [x], size, x.dtype);
    const src = views[0];
    const index = new Array<number>(axis).fill(0);
    let dst = 0;
    for (;;) {
      let offset = begin[axis] * strides[axis];
      for (let i = 0; i < axis; i++) offset += (begin[i] + index[i]) * strides[i];
      outView.set(src.subarray(offset, offset + run), dst);
      dst += run;
      let i = axis - 1;
      while (i >= 0 && ++index[i] === size[i]) index[i--] = 0;
      if (i < 0) break;
    }
    return out;
  };
}

/**
 * dW[kh,kw,c,m] = Σ_{n,oh,ow} x[n, oh·s+kh−pt, ow·s+kw−pl, c] · dy[n,oh,ow,c·M+m], accumulated in
 * float64 with the channel loop innermost (contiguous in both x and dy).
 */
export function depthwiseFilterGradOnHeap({ inputs, attrs, backend }: KernelParams): tf.TensorInfo {
  const a = attrs as unknown as {
    strides: number | [number, number]; pad: 'valid' | 'same' | number; dilations?: number | [number, number];
    dimRoundingMode?: 'floor' | 'round' | 'ceil'; filterShape: [number, number, number, number];
  };
  const x = inputs.x as tf.TensorInfo;
  const dy = inputs.dy as tf.TensorInfo;
  const c = forwardConv(x.shape, a.filterShape, a.strides, a.pad, a.dimRoundingMode, true,
    'DepthwiseConv2dNativeBackpropFilter', undefined, a.dilations);
  const [kh, kw, channels, multiplier] = a.filterShape;
  const { out, outView, views } = heapViews(backend, [x, dy], a.filterShape, 'float32');
  const [xv, dv] = views;
  const acc = new Float64Array(kh * kw * channels * multiplier);
  const outChannels = channels * multiplier;
  const xRow = c.inWidth * channels;
  const xImage = c.inHeight * xRow;
  for (let n = 0; n < c.batch; n++) {
    for (let oh = 0; oh < c.outHeight; oh++) {
      for (let ow = 0; ow < c.outWidth; ow++) {
        const dyBase = ((n * c.outHeight + oh) * c.outWidth + ow) * outChannels;
        for (let i = 0; i < kh; i++) {
          const h = oh * c.strideHeight + i - c.padTop;
          if (h < 0 || h >= c.inHeight) continue;
          for (let j = 0; j < kw; j++) {
            const w = ow * c.strideWidth + j - c.padLeft;
            if (w < 0 || w >= c.inWidth) continue;
            const xBase = n * xImage + h * xRow + w * channels;
            const accBase = (i * kw + j) * outChannels;
            if (multiplier === 1) {
              for (let ch = 0; ch < channels; ch++) acc[accBase + ch] += xv[xBase + ch] * dv[dyBase + ch];
            } else {
              for (let ch = 0; ch < channels; ch++) {
                const xvalue = xv[xBase + ch];
                for (let m = 0; m < multiplier; m++) acc[accBase + ch * multiplier + m] += xvalue * dv[dyBase + ch * multiplier + m];
              }
            }
          }
        }
      }
    }
  }
  outView.set(acc);
  return out;
}

/**
 * Identity that shares the input's buffer (as wasm's own Reshape does) instead of copying it.
 * The engine clones every tensor it saves for the backward pass through Identity, so wasm's
 * copying version doubled the memory a training step holds (the cpu backend shares too).
 */
export function makeSharedIdentity(stock: tf.KernelFunc): tf.KernelFunc {
  return (params) => {
    const x = params.inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return stock(params);
    (params.backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}
