// `npm run export -- <run> --format onnx`: a run's trained classifier (preprocessing included, raw
// 0..255 32×32 images in) as <run>/model.onnx, checked against tfjs on the run's first test images.
import * as tf from '@tensorflow/tfjs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { selectBackend } from '../backends/index.ts';
import { UsageError } from '../experiment/usage-error.ts';
import { loadOnnxRuntime, writeOnnxFile, type OnnxFileCheck } from '../onnx/index.ts';
import { locateRun } from '../run/layout.ts';
import { readRunRecord } from '../run/record.ts';
import { checkpointDir, loadCheckpoint } from './checkpoint.ts';
import { loadRunData } from './inputs.ts';
import { buildRunModel } from './model-setup.ts';
import { createOptimizer } from './optimizer.ts';

export const ONNX_MODEL_FILE = 'model.onnx';
/** Test images the exported file is checked on. */
const CHECK_IMAGES = 64;
/** Largest |ONNX Runtime − tfjs| accepted, relative to the largest output (softmax: ≤ 1). */
const TOLERANCE = 1e-4;

export interface ExportedRun {
  path: string;
  check: OnnxFileCheck;
}

/** Writes the run's model as ONNX beside its run.json and checks it; a failed check removes the file. */
export async function exportRunOnnx(
  run: string,
  where: { logdir: string; dataDir: string; weightsDir: string; modelsDir: string },
): Promise<ExportedRun> {
  let runDir: string;
  try {
    runDir = locateRun(where.logdir, run);
  } catch (error) {
    throw new UsageError(`export ${run}: ${(error as Error).message.replace(/^--resume \S+: /, '')}`);
  }
  const record = readRunRecord(runDir);
  const saved = checkpointDir(runDir);
  if (!saved) throw new UsageError(`export ${run}: ${runDir} has no checkpoint (it trained no epoch yet)`);
  const runtime = await loadOnnxRuntime();
  if (!runtime.available) throw new Error(`export ${run}: ONNX Runtime unavailable (${runtime.reason})`);

  await selectBackend('auto', { quiet: true });
  const def = record.definition;
  // Every weight comes from the checkpoint: only a pretrained tfjs model is needed for its architecture.
  const build = def.model.weights.startsWith('pretrained:')
    ? def
    : { ...def, model: { ...def.model, weights: 'none' } };
  const built = await buildRunModel(build, { ...where, download: false });
  const optimizer = createOptimizer(def.optimizer);
  built.classifier.compile({ optimizer, loss: 'categoricalCrossentropy' });
  await loadCheckpoint(saved, built.classifier, optimizer);

  const { test } = await loadRunData(def, where.dataDir, 'none', false);
  const n = Math.min(CHECK_IMAGES, test.count);
  const images = tf.tensor4d(Float32Array.from(test.images.subarray(0, n * 3072)), [n, 32, 32, 3]);
  const path = join(runDir, ONNX_MODEL_FILE);
  try {
    const check = await writeOnnxFile(runtime, built.classifier, path, { preprocess: built.preprocessMode, images });
    if (check.maxAbsDiff > TOLERANCE * Math.max(1, check.scale)) {
      await rm(path, { force: true });
      throw new Error(
        `export ${run}: ${path} differs from tfjs by ${check.maxAbsDiff.toExponential(2)} ` +
          `(tolerance ${TOLERANCE}; ${check.classMismatches} of ${n} classes differ); file removed`,
      );
    }
    return { path, check };
  } finally {
    images.dispose();
  }
}
