import * as tf from '@tensorflow/tfjs';
import { heapViews } from './heap.ts';

// Transpose on the wasm heap from JavaScript, for the permutations where wasm's own kernel is slow:
// plain (or batched) matrix transposes, which it walks without tiling (~7 ns per value on
// [9216, 144] → [144, 9216], ~5× its speed on 4-D permutations of the same size); the filter
// gradients of 1×1 convolutions transpose an activation-sized matrix for every layer. The
// permutation is first collapsed (axes that stay neighbours move as one); a matrix transpose is
// then copied in 16×16 tiles: 1.2–4× faster for matrices of ≥ 1024 rows (below that wasm's wins).
// Other permutations stay with wasm's kernel (measured faster there: 4-D permutations 1.5×,
// contiguous runs 2.7×).

const TILE = 16;

/** Merges axes that are adjacent, in order, in both the input and the output. */
export function collapsePermutation(shape: number[], perm: number[]): { shape: number[]; perm: number[] } {
  const keep = perm.filter((a) => shape[a] !== 1);
  if (keep.length === 0) return { shape: [1], perm: [0] };
  // Groups of input axes, in output order.
  const groups: number[][] = [];
  for (const a of keep) {
    const last = groups[groups.length - 1];
    const prev = last?.[last.length - 1];
    // Adjacent in the input once size-1 axes are skipped.
    if (last && prev !== undefined && nextKept(shape, prev) === a) last.push(a);
    else groups.push([a]);
  }
  const byInput = [...groups].sort((g, h) => g[0] - h[0]);
  return {
    shape: byInput.map((g) => g.reduce((n, a) => n * shape[a], 1)),
    perm: groups.map((g) => byInput.indexOf(g)),
  };
}

function nextKept(shape: number[], axis: number): number {
  let a = axis + 1;
  while (a < shape.length && shape[a] === 1) a++;
  return a;
}

type View = Float32Array | Int32Array | Uint8Array;

/** out = x transposed by perm (x's shape `shape`, both contiguous, row-major). */
function transposeInto(x: View, shape: number[], perm: number[], out: View): void {
  const c = collapsePermutation(shape, perm);
  const rank = c.shape.length;
  const inStrides = stridesOf(c.shape);
  const outShape = c.perm.map((a) => c.shape[a]);
  const outStrides = stridesOf(outShape);
  const outStrideOfInput = new Array<number>(rank);
  c.perm.forEach((a, i) => {
    outStrideOfInput[a] = outStrides[i];
  });
  const inner = rank - 1;
  if (c.perm[rank - 1] === inner) {
    // The innermost axis is kept: contiguous runs.
    const run = c.shape[inner];
    forEachIndex(c.shape, [inner], inStrides, outStrideOfInput, (src, dst) => out.set(x.subarray(src, src + run), dst));
    return;
  }
  const a = c.perm[rank - 1]; // the output's innermost axis (stride 1 there)
  const rowsA = c.shape[a];
  const colsL = c.shape[inner];
  const inStrideA = inStrides[a];
  const outStrideL = outStrideOfInput[inner];
  forEachIndex(c.shape, [a, inner], inStrides, outStrideOfInput, (src, dst) => {
    for (let i0 = 0; i0 < rowsA; i0 += TILE) {
      const i1 = Math.min(rowsA, i0 + TILE);
      for (let j0 = 0; j0 < colsL; j0 += TILE) {
        const j1 = Math.min(colsL, j0 + TILE);
        for (let j = j0; j < j1; j++) {
          let d = dst + j * outStrideL + i0;
          for (let i = i0, s = src + i0 * inStrideA + j; i < i1; i++, s += inStrideA) out[d++] = x[s];
        }
      }
    }
  });
}

function stridesOf(shape: number[]): number[] {
  const s = new Array<number>(shape.length);
  let n = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = n;
    n *= shape[i];
  }
  return s;
}

/** Calls f(input offset, output offset) for every index of the axes not in `skip`. */
function forEachIndex(
  shape: number[],
  skip: number[],
  inStrides: number[],
  outStrides: number[],
  f: (src: number, dst: number) => void,
): void {
  const axes = shape.map((_, i) => i).filter((i) => !skip.includes(i));
  const index = new Array<number>(axes.length).fill(0);
  let src = 0;
  let dst = 0;
  for (;;) {
    f(src, dst);
    let k = axes.length - 1;
    for (; k >= 0; k--) {
      const ax = axes[k];
      if (++index[k] < shape[ax]) {
        src += inStrides[ax];
        dst += outStrides[ax];
        break;
      }
      src -= (shape[ax] - 1) * inStrides[ax];
      dst -= (shape[ax] - 1) * outStrides[ax];
      index[k] = 0;
    }
    if (k < 0) return;
  }
}

export function makeHeapTranspose(stock: tf.KernelFunc): tf.KernelFunc {
  return (params) => {
    const x = params.inputs.x as tf.TensorInfo;
    const { perm } = params.attrs as unknown as { perm: number[] };
    if (x.dtype === 'string' || x.dtype === 'complex64' || x.shape.includes(0)) return stock(params);
    const collapsed = collapsePermutation(x.shape, perm);
    if (!isMatrixTranspose(collapsed.perm) || !wasmIsSlowAt(collapsed.shape)) return stock(params);
    const outShape = perm.map((a) => x.shape[a]);
    const { out, outView, views } = heapViews(params.backend, [x], outShape, x.dtype);
    transposeInto(views[0], x.shape, perm, outView);
    return out;
  };
}

/**
 * wasm's kernel writes each input row as a column of the output, a stride of `rows` values: fast
 * while those columns stay in cache (576×384: 0.17 ms, ours 0.47), 1.3–4× slower than ours from
 * ~1000 rows on (2304×96: 0.62 vs 0.47 ms; 9216×144: 15 vs 3.6 ms).
 */
export function wasmIsSlowAt(collapsedShape: number[]): boolean {
  const rows = collapsedShape[collapsedShape.length - 2];
  const size = collapsedShape.reduce((a, b) => a * b, 1);
  return rows >= 1024 && size >= 65536;
}

/** [1, 0] or a batch of them, [0, 2, 1]. */
export function isMatrixTranspose(collapsedPerm: number[]): boolean {
  const p = collapsedPerm.join(',');
  return p === '1,0' || p === '0,2,1';
}
