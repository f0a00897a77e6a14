import * as tf from '@tensorflow/tfjs';

/** Deterministic N(0,1)-ish values (sum of uniforms), identical on every backend. */
export function randomValues(size: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = next() + next() + next() - 1.5;
  return out;
}

/** max |a − b| / max |b|: relative to the reference's scale, so near-zero entries don't dominate. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

/** Runs one kernel on the named backend with the given inputs (as plain arrays) and returns its output. */
export async function runKernelOn(
  backend: string,
  kernel: string,
  inputs: Record<string, { values: Float32Array; shape: number[] }>,
  attrs: Record<string, unknown>,
): Promise<{ shape: number[]; values: Float32Array }> {
  await tf.setBackend(backend);
  const tensors: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(inputs)) tensors[k] = tf.tensor(v.values, v.shape);
  const out = tf.engine().runKernel(kernel, tensors, attrs as never) as tf.Tensor;
  const values = (await out.data()) as Float32Array;
  const shape = out.shape;
  out.dispose();
  for (const t of Object.values(tensors)) t.dispose();
  return { shape, values };
}
