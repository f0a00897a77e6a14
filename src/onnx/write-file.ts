import { readFile, rename, writeFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { preprocess, type PreprocessMode } from '../data/index.ts';
import type { OnnxRuntime } from './engine/load.ts';
import { OnnxSession } from './engine/session.ts';
import { exportOnnx } from './export/export-model.ts';

export interface OnnxFileCheck {
  images: number;
  /** max |ONNX Runtime − tfjs| over every output value, and the largest tfjs value. */
  maxAbsDiff: number;
  scale: number;
  /** Images whose argmax class differs between the two. */
  classMismatches: number;
}

/**
 * Writes a trained classifier (raw 0..255 NHWC images in, preprocessing inside) as a `.onnx` file,
 * then reads the file back into ONNX Runtime and compares its output with tfjs on `images`
 * (raw, [n, h, w, 3]). The file appears only complete (written beside, then renamed).
 */
export async function writeOnnxFile(
  runtime: Extract<OnnxRuntime, { available: true }>,
  model: tf.LayersModel,
  path: string,
  opts: { preprocess: PreprocessMode; images: tf.Tensor4D },
): Promise<OnnxFileCheck> {
  const exported = exportOnnx(model, { preprocess: opts.preprocess });
  const partial = `${path}.partial`;
  await writeFile(partial, exported.bytes);
  await rename(partial, path);
  const session = await OnnxSession.create(runtime.ort, new Uint8Array(await readFile(path)));
  try {
    const x = opts.images;
    const got = (await session.run({ data: x.dataSync() as Float32Array, shape: x.shape })).get(
      exported.outputs[0]!.name,
    )!;
    const want = tf.tidy(() => model.predict(preprocess(x, opts.preprocess)) as tf.Tensor);
    const w = want.dataSync() as Float32Array;
    want.dispose();
    let maxAbsDiff = 0;
    let scale = 0;
    for (let i = 0; i < w.length; i++) {
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(w[i]! - got.data[i]!));
      scale = Math.max(scale, Math.abs(w[i]!));
    }
    const n = x.shape[0];
    const k = w.length / n;
    let classMismatches = 0;
    for (let i = 0; i < n; i++) if (argMax(w, i * k, k) !== argMax(got.data, i * k, k)) classMismatches++;
    return { images: n, maxAbsDiff, scale, classMismatches };
  } finally {
    await session.dispose();
  }
}

function argMax(values: Float32Array, start: number, length: number): number {
  let best = 0;
  for (let j = 1; j < length; j++) if (values[start + j]! > values[start + best]!) best = j;
  return best;
}
