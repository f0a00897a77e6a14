import * as tf from '@tensorflow/tfjs';
import { forwardConv, type ForwardConv } from './conv-info.ts';
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
 * dW[kh,kw,c,m] = Σ_{n,oh,ow} x[n, oh·s+kh−pt, ow·s+kw−pl, c] · dy[n,oh,ow,c·M+m], in float64.
 * For M = 1, per output row (n, oh) — its dy row and the kh input rows it read stay in cache — and
 * per filter tap, 8 channels at a time are accumulated along the row in JavaScript locals: two
 * loads per multiply-add and no store (3–4× faster than a typed-array accumulator per value).
 */
export function depthwiseFilterGradOnHeap(params: KernelParams): tf.TensorInfo {
  return depthwiseFilterGrad(params, true);
}

/** The first version (a typed-array accumulator per value, channels innermost), kept for A/B benchmarks. */
export function depthwiseFilterGradUnblocked(params: KernelParams): tf.TensorInfo {
  return depthwiseFilterGrad(params, false);
}

function depthwiseFilterGrad({ inputs, attrs, backend }: KernelParams, blocked: boolean): tf.TensorInfo {
  const a = attrs as unknown as {
    strides: number | [number, number];
    pad: 'valid' | 'same' | number;
    dilations?: number | [number, number];
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    filterShape: [number, number, number, number];
  };
  const x = inputs.x as tf.TensorInfo;
  const dy = inputs.dy as tf.TensorInfo;
  const c = forwardConv(
    x.shape,
    a.filterShape,
    a.strides,
    a.pad,
    a.dimRoundingMode,
    true,
    'DepthwiseConv2dNativeBackpropFilter',
    undefined,
    a.dilations,
  );
  const multiplier = a.filterShape[3];
  const { out, outView, views } = heapViews(backend, [x, dy], a.filterShape, 'float32');
  const [xv, dv] = views as Float32Array[];
  const acc =
    multiplier === 1 && blocked
      ? depthwiseFilterGradM1(c, xv, dv, a.filterShape)
      : depthwiseFilterGradAnyM(c, xv, dv, a.filterShape);
  outView.set(acc);
  return out;
}

function depthwiseFilterGradM1(
  c: ForwardConv,
  xv: Float32Array,
  dv: Float32Array,
  [kh, kw, channels]: number[],
): Float64Array {
  const acc = new Float64Array(kh * kw * channels);
  const sw = c.strideWidth;
  const xRow = c.inWidth * channels;
  const xStep = sw * channels;
  for (let n = 0; n < c.batch; n++) {
    for (let oh = 0; oh < c.outHeight; oh++) {
      const dyRow = (n * c.outHeight + oh) * c.outWidth * channels;
      for (let i = 0; i < kh; i++) {
        const h = oh * c.strideHeight + i - c.padTop;
        if (h < 0 || h >= c.inHeight) continue;
        const xRowBase = (n * c.inHeight + h) * xRow;
        for (let j = 0; j < kw; j++) {
          // Output columns whose input column ow·s + j − pl lies inside the image.
          const owStart = Math.max(0, Math.ceil((c.padLeft - j) / sw));
          const owEnd = Math.min(c.outWidth, Math.floor((c.inWidth - 1 - j + c.padLeft) / sw) + 1);
          if (owEnd <= owStart) continue;
          const accBase = (i * kw + j) * channels;
          const xStart = xRowBase + (owStart * sw + j - c.padLeft) * channels;
          const dStart = dyRow + owStart * channels;
          accumulateTap(acc, accBase, xv, xStart, dv, dStart, owEnd - owStart, xStep, channels);
        }
      }
    }
  }
  return acc;
}

/** Adds Σ_k x[xStart + k·xStep + ch] · dy[dStart + k·channels + ch] to acc[accBase + ch], 8 channels at a time. */
function accumulateTap(
  acc: Float64Array,
  accBase: number,
  xv: Float32Array,
  xStart: number,
  dv: Float32Array,
  dStart: number,
  count: number,
  xStep: number,
  channels: number,
): void {
  let ch = 0;
  for (; ch + 8 <= channels; ch += 8) {
    let s0 = 0,
      s1 = 0,
      s2 = 0,
      s3 = 0,
      s4 = 0,
      s5 = 0,
      s6 = 0,
      s7 = 0;
    for (let k = 0, xi = xStart + ch, di = dStart + ch; k < count; k++, xi += xStep, di += channels) {
      s0 += xv[xi] * dv[di];
      s1 += xv[xi + 1] * dv[di + 1];
      s2 += xv[xi + 2] * dv[di + 2];
      s3 += xv[xi + 3] * dv[di + 3];
      s4 += xv[xi + 4] * dv[di + 4];
      s5 += xv[xi + 5] * dv[di + 5];
      s6 += xv[xi + 6] * dv[di + 6];
      s7 += xv[xi + 7] * dv[di + 7];
    }
    const o = accBase + ch;
    acc[o] += s0;
    acc[o + 1] += s1;
    acc[o + 2] += s2;
    acc[o + 3] += s3;
    acc[o + 4] += s4;
    acc[o + 5] += s5;
    acc[o + 6] += s6;
    acc[o + 7] += s7;
  }
  for (; ch < channels; ch++) {
    let s = 0;
    for (let k = 0, xi = xStart + ch, di = dStart + ch; k < count; k++, xi += xStep, di += channels)
      s += xv[xi] * dv[di];
    acc[accBase + ch] += s;
  }
}

/** Any depth multiplier (no MobileNet uses one > 1): channels innermost, a typed-array accumulator. */
function depthwiseFilterGradAnyM(
  c: ForwardConv,
  xv: Float32Array,
  dv: Float32Array,
  [kh, kw, channels, multiplier]: number[],
): Float64Array {
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
            for (let ch = 0; ch < channels; ch++) {
              const xvalue = xv[xBase + ch];
              for (let m = 0; m < multiplier; m++)
                acc[accBase + ch * multiplier + m] += xvalue * dv[dyBase + ch * multiplier + m];
            }
          }
        }
      }
    }
  }
  return acc;
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
