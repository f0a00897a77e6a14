import * as tf from '@tensorflow/tfjs';
import { loadOnnxRuntime, type Ort } from '../../src/onnx/engine/load.ts';
import { OnnxSession } from '../../src/onnx/engine/session.ts';
import { exportOnnx, type OnnxExportOptions } from '../../src/onnx/export/export-model.ts';

export async function ortOrThrow(): Promise<Ort> {
  const rt = await loadOnnxRuntime();
  if (!rt.available) throw new Error(rt.notice);
  return rt.ort;
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
