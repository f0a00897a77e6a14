// ImageNet weights for a base: which official Keras no-top file (URL, md5, size), finding it in the
// weights folder the caller names (experiment/locations.ts resolves it), downloading it once, and
// loading it with the 224-px fallback warning Keras gives for MobileNet input sizes it has no file for.
// src/models/weights/ owns the three weight formats (Keras .h5, ImageNet resolution, tfjs layers);
// it imports @tensorflow/tfjs, download/ and models/ itself, never a backend.
import type * as tf from '@tensorflow/tfjs';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { download, md5File, type RemoteFile } from '../../download/index.ts';
import { loadKerasH5Weights, type LoadKerasH5Result } from './keras-h5.ts';

/** Which official Keras no-top `.h5` file to use. */
interface WeightsSpec {
  name: string;
  alpha?: number;
  inputSize?: number;
}

const KERAS = 'https://storage.googleapis.com/tensorflow/keras-applications';

interface Known {
  file: string;
  dir: string;
  md5?: string;
  size?: number;
}

// md5s are Keras' own `file_hash` values (32 hex digits = md5 in keras.utils.get_file); sizes where
// Keras' download logs publish them.
const FIXED: Record<string, Known> = {
  densenet121: {
    dir: 'densenet',
    file: 'densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5',
    md5: '30ee3e1110167f948a6b9946edeeb738',
    size: 29_084_464,
  },
  densenet169: {
    dir: 'densenet',
    file: 'densenet169_weights_tf_dim_ordering_tf_kernels_notop.h5',
    md5: 'b8c4d4c20dd625c148057b9ff1c1176b',
    size: 51_877_672,
  },
  densenet201: {
    dir: 'densenet',
    file: 'densenet201_weights_tf_dim_ordering_tf_kernels_notop.h5',
    md5: 'c13680b51ded0fb44dff2d8f86ac8bb1',
  },
  inceptionv3: {
    dir: 'inception_v3',
    file: 'inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5',
    md5: 'bcbd6486424b2319ff4ef7d526e38f63',
    size: 87_910_968,
  },
  resnet50: {
    dir: 'resnet',
    file: 'resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5',
    md5: '4d473c1dd8becc155b73f8504c6f6626',
    size: 94_765_736,
  },
  resnet101: {
    dir: 'resnet',
    file: 'resnet101_weights_tf_dim_ordering_tf_kernels_notop.h5',
    md5: '88cf7a10940856eca736dc7b7e228a21',
    size: 171_446_536,
  },
  resnet152: {
    dir: 'resnet',
    file: 'resnet152_weights_tf_dim_ordering_tf_kernels_notop.h5',
    md5: 'ee4c566cf9a93f14d82f913c2dc6dd0c',
  },
};

const MOBILENET_V2_ALPHAS = [0.35, 0.5, 0.75, 1.0, 1.3, 1.4];
const MOBILENET_V2_ROWS = [96, 128, 160, 192, 224];
const MOBILENET_V1_ALPHAS: Record<string, string> = { '1': '1_0', '0.75': '7_5', '0.5': '5_0', '0.25': '2_5' };
const MOBILENET_V1_ROWS = [128, 160, 192, 224];

/** `DenseNet121`, `densenet_121`, `MobileNetV2`, `mobilenet-v2` … → `densenet121`, `mobilenetv2`. */
function normalizeModelName(name: string): string {
  const n = name.toLowerCase().replace(/[^a-z0-9.]/g, '');
  return n === 'mobilenetv1' ? 'mobilenet' : n;
}

/**
 * The official Keras ImageNet no-top weights for a base, as Keras' application code picks it.
 * MobileNetV2/MobileNet choose the file by alpha and input rows; sizes Keras has no file for fall
 * back to 224 (as Keras does, with a warning). Keras publishes no hash for those files.
 */
export function kerasWeightsFile(spec: WeightsSpec): RemoteFile {
  const key = normalizeModelName(spec.name);
  const fixed = FIXED[key];
  if (fixed) {
    return {
      url: `${KERAS}/${fixed.dir}/${fixed.file}`,
      fileName: fixed.file,
      ...(fixed.md5 ? { md5: fixed.md5 } : {}),
      ...(fixed.size ? { size: fixed.size } : {}),
    };
  }
  const alpha = spec.alpha ?? 1.0;
  const rows = spec.inputSize ?? 224;
  if (key === 'mobilenetv2') {
    if (!MOBILENET_V2_ALPHAS.includes(alpha)) {
      throw new Error(
        `weights: MobileNetV2 ImageNet weights exist for alpha ${MOBILENET_V2_ALPHAS.join(', ')}, not ${alpha}`,
      );
    }
    const fileRows = MOBILENET_V2_ROWS.includes(rows) ? rows : 224;
    const alphaText = Number.isInteger(alpha) ? alpha.toFixed(1) : String(alpha);
    const file = `mobilenet_v2_weights_tf_dim_ordering_tf_kernels_${alphaText}_${fileRows}_no_top.h5`;
    const size = alpha === 1.0 ? 9_406_464 : alpha === 0.35 && fileRows === 224 ? 2_019_640 : undefined;
    return { url: `${KERAS}/mobilenet_v2/${file}`, fileName: file, ...(size ? { size } : {}) };
  }
  if (key === 'mobilenet') {
    const alphaText = MOBILENET_V1_ALPHAS[String(alpha)];
    if (!alphaText)
      throw new Error(`weights: MobileNet ImageNet weights exist for alpha 0.25, 0.5, 0.75, 1.0, not ${alpha}`);
    const fileRows = MOBILENET_V1_ROWS.includes(rows) ? rows : 224;
    const file = `mobilenet_${alphaText}_${fileRows}_tf_no_top.h5`;
    return { url: `${KERAS}/mobilenet/${file}`, fileName: file };
  }
  throw new Error(
    `weights: no official Keras ImageNet weights for model "${spec.name}" ` +
      `(known: ${[...Object.keys(FIXED), 'mobilenetv2', 'mobilenet'].join(', ')})`,
  );
}

/** The input size Keras would use to pick the file, or null when it falls back to 224. */
export function weightsFallback(spec: WeightsSpec): { requested: number; used: number } | null {
  const key = normalizeModelName(spec.name);
  const rows = spec.inputSize ?? 224;
  const allowed = key === 'mobilenetv2' ? MOBILENET_V2_ROWS : key === 'mobilenet' ? MOBILENET_V1_ROWS : null;
  return allowed && !allowed.includes(rows) ? { requested: rows, used: 224 } : null;
}

interface ResolveWeightsOptions {
  /** The folder of the Keras weight files (experiment/locations.ts resolves it). */
  weightsDir: string;
  /** Download when missing (default true). */
  download?: boolean;
  progress?: 'auto' | 'bar' | 'lines' | 'none';
  fetchImpl?: typeof fetch;
  /** Overrides the official file (tests, mirrors). */
  file?: RemoteFile;
}

/**
 * The local path of a base's official Keras weights: found in the weights folder (and verified
 * against the published md5, or size where Keras publishes no hash), else downloaded there once.
 */
export async function resolveWeights(spec: WeightsSpec, opts: ResolveWeightsOptions): Promise<string> {
  const file = opts.file ?? kerasWeightsFile(spec);
  const dir = resolve(opts.weightsDir);
  const path = join(dir, file.fileName);
  const elsewhere = `point --weights-dir / TRANSFERLAB_WEIGHTS_DIR at a folder that holds ${file.fileName}`;
  const hint = `put ${file.url} there, or ${elsewhere}`;
  if (existsSync(path)) {
    const problem = await verify(path, file);
    if (!problem) return path;
    if (opts.download === false) throw new Error(`weights: ${path} ${problem}; ${hint}`);
  } else if (opts.download === false) {
    throw new Error(`weights: ${path} not found and downloads are off; ${hint}`);
  }
  // download() re-checks size/md5, replaces a corrupt copy, and fails with one line naming URL and path.
  return download(file, dir, {
    hint: `or point --weights-dir / TRANSFERLAB_WEIGHTS_DIR at a folder that holds ${file.fileName}`,
    ...(opts.progress ? { progress: opts.progress } : {}),
    ...(opts.fetchImpl ? { fetchImpl: opts.fetchImpl } : {}),
  });
}

async function verify(path: string, file: RemoteFile): Promise<string | null> {
  if (file.size !== undefined && statSync(path).size !== file.size) {
    return `has ${statSync(path).size} bytes, expected ${file.size}`;
  }
  if (file.md5) {
    const md5 = await md5File(path);
    if (md5 !== file.md5) return `has md5 ${md5}, expected ${file.md5}`;
  }
  return null;
}

interface ImagenetWeightsResult extends LoadKerasH5Result {
  path: string;
  /** Set when Keras has no file for this input size and the 224-px file was used (as Keras does). */
  fallback: { requested: number; used: number } | null;
}

interface ImagenetWeightsOptions extends ResolveWeightsOptions {
  /** Receives the 224-px fallback warning (default: console.warn). */
  onWarning?: (message: string) => void;
}

/**
 * `weights: imagenet`: resolves (downloads once, md5-checked) the official no-top file for the
 * base at its input size, loads it by order, and warns when Keras has no file for that size.
 */
export async function loadImagenetWeights(
  model: tf.LayersModel,
  spec: WeightsSpec,
  opts: ImagenetWeightsOptions,
): Promise<ImagenetWeightsResult> {
  const fallback = weightsFallback(spec);
  if (fallback) {
    (opts.onWarning ?? console.warn)(
      `${spec.name}: no ImageNet weights for ${fallback.requested} px; ` +
        `loading the ${fallback.used} px file, as Keras does`,
    );
  }
  const path = await resolveWeights(spec, opts);
  const result = await loadKerasH5Weights(model, path);
  return { ...result, path, fallback };
}
