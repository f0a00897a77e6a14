import * as tf from '@tensorflow/tfjs';
import type { WasmHeapBackend } from './heap.ts';
import type { KernelParams } from './tensors.ts';

// Per-channel statistics of a channels-last activation in one pass over the wasm heap, for
// training-mode batch normalisation (src/models/layers/batch-norm-training.ts): the moments
// (mean and biased variance, instead of Mean, Sub, Square, Mean) and, in the backward pass,
// Σ dy and Σ dy·x̂ together (instead of Sum, Multiply, Sum). Float64 accumulation, 4 channels at
// a time in JavaScript locals over blocks of rows that stay in cache.

const ROW_BLOCK = 32;

/** sums[c] = Σ_r a[r,c]; second[c] = Σ_r a[r,c]·(b ?? a)[r,c]. */
function channelSums(
  a: Float32Array,
  b: Float32Array | null,
  rows: number,
  channels: number,
): { sums: Float64Array; second: Float64Array } {
  const w = b ?? a;
  const sums = new Float64Array(channels);
  const second = new Float64Array(channels);
  for (let r0 = 0; r0 < rows; r0 += ROW_BLOCK) {
    const end = Math.min(rows, r0 + ROW_BLOCK) * channels;
    let c = 0;
    for (; c + 4 <= channels; c += 4) {
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0,
        q0 = 0,
        q1 = 0,
        q2 = 0,
        q3 = 0;
      for (let i = r0 * channels + c; i < end; i += channels) {
        const a0 = a[i],
          a1 = a[i + 1],
          a2 = a[i + 2],
          a3 = a[i + 3];
        s0 += a0;
        s1 += a1;
        s2 += a2;
        s3 += a3;
        q0 += a0 * w[i];
        q1 += a1 * w[i + 1];
        q2 += a2 * w[i + 2];
        q3 += a3 * w[i + 3];
      }
      sums[c] += s0;
      sums[c + 1] += s1;
      sums[c + 2] += s2;
      sums[c + 3] += s3;
      second[c] += q0;
      second[c + 1] += q1;
      second[c + 2] += q2;
      second[c + 3] += q3;
    }
    for (; c < channels; c++) {
      let s = 0,
        q = 0;
      for (let i = r0 * channels + c; i < end; i += channels) {
        s += a[i];
        q += a[i] * w[i];
      }
      sums[c] += s;
      second[c] += q;
    }
  }
  return { sums, second };
}

function geometry(x: tf.TensorInfo): { rows: number; channels: number } {
  const channels = x.shape[x.shape.length - 1];
  return { rows: channels === 0 ? 0 : tf.util.sizeFromShape(x.shape) / channels, channels };
}

/** Two per-channel outputs, allocated before any view is taken (allocating can grow the heap). */
function twoOutputs(
  backend: unknown,
  channels: number,
  inputs: tf.TensorInfo[],
): { outs: tf.TensorInfo[]; outViews: Float32Array[]; views: Float32Array[] } {
  const b = backend as WasmHeapBackend;
  const outs = [b.makeOutput([channels], 'float32'), b.makeOutput([channels], 'float32')];
  const view = (t: tf.TensorInfo): Float32Array => b.typedArrayFromHeap(t) as Float32Array;
  return { outs, outViews: outs.map(view), views: inputs.map(view) };
}

/** [mean, biased variance] over every axis but the last. */
export function channelMomentsOnHeap({ inputs, backend }: KernelParams): tf.TensorInfo[] {
  const x = inputs.x as tf.TensorInfo;
  const { rows, channels } = geometry(x);
  const {
    outs,
    outViews: [meanView, varianceView],
    views: [xv],
  } = twoOutputs(backend, channels, [x]);
  const { sums, second } = channelSums(xv, null, rows, channels);
  for (let c = 0; c < channels; c++) {
    const m = sums[c] / rows;
    meanView[c] = m;
    varianceView[c] = Math.max(0, second[c] / rows - m * m);
  }
  return outs;
}

/** [Σ dy, Σ dy·x̂] over every axis but the last. */
export function channelDotSumsOnHeap({ inputs, backend }: KernelParams): tf.TensorInfo[] {
  const dy = inputs.dy as tf.TensorInfo;
  const xHat = inputs.xHat as tf.TensorInfo;
  const { rows, channels } = geometry(dy);
  const {
    outs,
    outViews: [sumView, dotView],
    views: [dv, xv],
  } = twoOutputs(backend, channels, [dy, xHat]);
  const { sums, second } = channelSums(dv, xv, rows, channels);
  sumView.set(sums);
  dotView.set(second);
  return outs;
}
