import * as tf from '@tensorflow/tfjs';
import type { WasmHeapBackend } from './heap.ts';
import type { KernelParams } from './tensors.ts';

// The output gradient of a strided convolution, zero-inserted and padded (or cropped) for the
// transposed convolution, in one pass over the wasm heap: the output is zero-filled and each dy
// pixel's channels are copied to their place. Composed from tfjs ops this was a 6-D Pad, a Slice
// and another Pad, three full copies of a tensor s² times the size of dy.

export const SPREAD_PAD = 'TransferLabSpreadPad';

export interface SpreadPadAttrs {
  strides: [number, number];
  rows: [number, number];
  cols: [number, number];
}

/** Output shape: ((H−1)·sh + 1 + top + bottom, (W−1)·sw + 1 + left + right); negative pads crop. */
function spreadPadShape([n, h, w, c]: number[], a: SpreadPadAttrs): [number, number, number, number] {
  return [n, (h - 1) * a.strides[0] + 1 + a.rows[0] + a.rows[1], (w - 1) * a.strides[1] + 1 + a.cols[0] + a.cols[1], c];
}

export function spreadPadOnHeap({ inputs, attrs, backend }: KernelParams): tf.TensorInfo {
  const x = inputs.x as tf.TensorInfo;
  const a = attrs as unknown as SpreadPadAttrs;
  const [n, h, w, c] = x.shape;
  const outShape = spreadPadShape(x.shape, a);
  const [, oh, ow] = outShape;
  const b = backend as WasmHeapBackend;
  const out = b.makeOutput(outShape, 'float32');
  const outView = b.typedArrayFromHeap(out) as Float32Array;
  const xv = b.typedArrayFromHeap(x) as Float32Array;
  outView.fill(0);
  // Both views lie on the same heap: copyWithin on one view of it moves each run without allocating.
  const heap = new Float32Array(outView.buffer);
  const outBase = outView.byteOffset >> 2;
  const xBase = xv.byteOffset >> 2;
  const [sh, sw] = a.strides;
  for (let img = 0; img < n; img++) {
    for (let i = 0; i < h; i++) {
      const y = i * sh + a.rows[0];
      if (y < 0 || y >= oh) continue;
      for (let j = 0; j < w; j++) {
        const xo = j * sw + a.cols[0];
        if (xo < 0 || xo >= ow) continue;
        const src = xBase + ((img * h + i) * w + j) * c;
        heap.copyWithin(outBase + ((img * oh + y) * ow + xo) * c, src, src + c);
      }
    }
  }
  return out;
}
