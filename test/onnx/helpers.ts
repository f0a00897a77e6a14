import * as tf from '@tensorflow/tfjs';
import { loadOnnxRuntime, type Ort } from '../../src/onnx/engine/load.ts';
import { OnnxSession } from '../../src/onnx/engine/session.ts';
import { exportOnnx, type OnnxExportOptions } from '../../src/onnx/export/export-model.ts';

export async function ortOrThrow(): Promise<Ort> {
  const rt = await loadOnnxRuntime();
  if (!rt.available) throw new Error(rt.notice);
  return rt.ort;
}

/**
 * Seeded weights with healthy activations through deep nets: kernels He-scaled by their fan-in,
 * BN statistics and affine terms spread around identity (so folding them changes the numbers).
 */
export function seedWeights(model: tf.LayersModel, seed: number): void {
  let s = seed >>> 0 || 1;
  // Uniform on [-√3, √3): unit variance.
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 3.4641016;
  };
  for (const w of model.weights) {
    const shape = w.shape as number[];
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const name = w.originalName;
    let [scale, offset, abs] = [0.1, 0, false];
    if (/moving_variance$/.test(name)) [scale, offset, abs] = [0.4, 0.6, true];
    else if (/gamma$/.test(name)) [scale, offset] = [0.2, 1];
    else if (!/(beta|moving_mean|bias)$/.test(name)) {
      const fanIn =
        shape.length === 4 ? shape[0]! * shape[1]! * (name.includes('depthwise') ? 1 : shape[2]!) : shape[0]!;
      scale = Math.sqrt(2 / fanIn);
    }
    for (let i = 0; i < values.length; i++) {
      const r = next();
      values[i] = offset + scale * (abs ? Math.abs(r) : r);
    }
    w.write(tf.tensor(values, shape));
  }
}

export interface Comparison {
  diff: number;
  scale: number;
}

export function compare(got: ArrayLike<number>, want: ArrayLike<number>): Comparison {
  if (got.length !== want.length) throw new Error(`length ${got.length} vs ${want.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return { diff, scale };
}

/** Exports `model`, runs `x` through ONNX Runtime (1 thread) and returns every output, in order. */
export async function runOnnx(
  model: tf.LayersModel,
  x: tf.Tensor,
  opts: OnnxExportOptions = {},
): Promise<{ data: Float32Array; shape: number[] }[]> {
  const ort = await ortOrThrow();
  const exported = exportOnnx(model, opts);
  const session = await OnnxSession.create(ort, exported.bytes, { threads: 1 });
  try {
    const out = await session.run({ data: x.dataSync() as Float32Array, shape: x.shape });
    return exported.outputs.map((o) => out.get(o.name)!);
  } finally {
    await session.dispose();
  }
}
