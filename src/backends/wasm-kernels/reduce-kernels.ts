import * as tf from '@tensorflow/tfjs';
import { heapViews } from './heap.ts';

// Sum and Mean over a run of axes that is not innermost (batch statistics and bias / batch-norm
// gradients reduce N·H·W with channels last). wasm's kernels transpose the input so the reduced
// axes come last and then reduce; here one pass over the heap sums rows of contiguous values into
// JavaScript locals (8 channels at a time, blocks of 32 rows so the block stays in cache), in
// float64: 2–5× faster (16×48×48×96 → 96: 5.3 → 2.8 ms).

const ROW_BLOCK = 32;

/** out[o, c] = Σ_r v[(o·rows + r)·inner + c], accumulated in float64. */
function sumMiddleAxis(
  v: Float32Array,
  outer: number,
  rows: number,
  inner: number,
  out: Float32Array,
  scale: number,
): void {
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(0);
    const base = o * rows * inner;
    for (let r0 = 0; r0 < rows; r0 += ROW_BLOCK) {
      const end = base + Math.min(rows, r0 + ROW_BLOCK) * inner;
      let c = 0;
      for (; c + 8 <= inner; c += 8) {
        let s0 = 0,
          s1 = 0,
          s2 = 0,
          s3 = 0,
          s4 = 0,
          s5 = 0,
          s6 = 0,
          s7 = 0;
        for (let i = base + r0 * inner + c; i < end; i += inner) {
          s0 += v[i];
          s1 += v[i + 1];
          s2 += v[i + 2];
          s3 += v[i + 3];
          s4 += v[i + 4];
          s5 += v[i + 5];
          s6 += v[i + 6];
          s7 += v[i + 7];
        }
        acc[c] += s0;
        acc[c + 1] += s1;
        acc[c + 2] += s2;
        acc[c + 3] += s3;
        acc[c + 4] += s4;
        acc[c + 5] += s5;
        acc[c + 6] += s6;
        acc[c + 7] += s7;
      }
      for (; c < inner; c++) {
        let s = 0;
        for (let i = base + r0 * inner + c; i < end; i += inner) s += v[i];
        acc[c] += s;
      }
    }
    for (let c = 0; c < inner; c++) out[o * inner + c] = acc[c] * scale;
  }
}

/**
 * Sum (mean = false) or Mean over float32 inputs whose reduced axes are consecutive and not the
 * innermost; anything else goes to wasm's own kernel.
 */
export function makeMiddleAxisReduce(stock: tf.KernelFunc, mean: boolean): tf.KernelFunc {
  return (params) => {
    const x = params.inputs.x as tf.TensorInfo;
    const { axis, keepDims } = params.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const shape = x.shape;
    const axes = [...new Set(tf.util.parseAxisParam(axis, shape))].sort((a, b) => a - b);
    const first = axes[0];
    const last = axes[axes.length - 1];
    const consecutive = axes.length > 0 && last - first === axes.length - 1;
    if (x.dtype !== 'float32' || !consecutive || last === shape.length - 1 || shape.includes(0)) return stock(params);
    const size = (from: number, to: number): number => shape.slice(from, to).reduce((a, b) => a * b, 1);
    const outer = size(0, first);
    const rows = size(first, last + 1);
    const inner = size(last + 1, shape.length);
    const outShape = keepDims
      ? shape.map((d, i) => (i >= first && i <= last ? 1 : d))
      : shape.filter((_, i) => i < first || i > last);
    const { out, outView, views } = heapViews(params.backend, [x], outShape, 'float32');
    sumMiddleAxis(
      views[0] as Float32Array,
      outer,
      rows,
      inner,
      outView as Float32Array,
      mean && rows > 0 ? 1 / rows : 1,
    );
    return out;
  };
}
