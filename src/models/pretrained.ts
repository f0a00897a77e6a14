import * as tf from '@tensorflow/tfjs';
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { cacheDir, download } from '../download/index.ts';
import { cutAt, loadLayersModelFromDir, readModelJson, shardPath, specBytes } from './file-io.ts';

export const MOBILENET_V1_NAME = 'mobilenet_v1_0.25_224';
export const MOBILENET_V1_URL = `https://storage.googleapis.com/tfjs-models/tfjs/${MOBILENET_V1_NAME}/model.json`;
/** Keras' ImageNet class index (`decode_predictions`), used when the model folder has no metadata.json. */
export const IMAGENET_CLASS_INDEX = {
  url: 'https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json',
  fileName: 'imagenet_class_index.json',
  md5: 'c2c37ea517e94d9795004a39431a14cb',
};
export const MOBILENET_V1_CUT = 'conv_pw_13_relu';

export interface PretrainedOptions {
  /** `--models-dir`: a folder holding `mobilenet_v1_0.25_224/`; else TRANSFERLAB_MODELS_DIR; else `<cache>/models`. */
  modelsDir?: string;
  /** Download when missing (default true). */
  download?: boolean;
  progress?: 'auto' | 'bar' | 'lines' | 'none';
  fetchImpl?: typeof fetch;
  env?: NodeJS.ProcessEnv;
  /** Input size other than 224 (the network is fully convolutional up to its pooled head). */
  inputSize?: number;
  /** Where the model comes from (tests, mirrors); default the official tfjs-models storage. */
  url?: string;
}

export function modelsDir(opts: Pick<PretrainedOptions, 'modelsDir' | 'env'> = {}): string {
  const env = opts.env ?? process.env;
  if (opts.modelsDir) return resolve(opts.modelsDir);
  if (env.TRANSFERLAB_MODELS_DIR) return resolve(env.TRANSFERLAB_MODELS_DIR);
  return join(cacheDir(env), 'models');
}

/**
 * The folder holding the pretrained MobileNet v1 0.25/224 in tfjs layers format: used as is when
 * model.json and every shard it lists are present with the sizes the manifest implies (no md5 is
 * published for these files), else downloaded there (model.json first, then its shards).
 */
export async function resolvePretrainedMobileNetV1(opts: PretrainedOptions = {}): Promise<string> {
  const dir = join(modelsDir(opts), MOBILENET_V1_NAME);
  const url = opts.url ?? MOBILENET_V1_URL;
  const problem = await checkModelFolder(dir);
  if (!problem) return dir;
  const hint = `download ${url} and the shards it lists into ${dir}, or point --models-dir / TRANSFERLAB_MODELS_DIR at a folder holding ${MOBILENET_V1_NAME}/`;
  if (opts.download === false) throw new Error(`pretrained model: ${problem} and downloads are off; ${hint}`);
  const common = {
    hint: `or point --models-dir / TRANSFERLAB_MODELS_DIR at a folder holding ${MOBILENET_V1_NAME}/`,
    ...(opts.progress ? { progress: opts.progress } : {}),
    ...(opts.fetchImpl ? { fetchImpl: opts.fetchImpl } : {}),
  };
  // model.json carries no hash: always fetch it fresh when the folder is incomplete.
  await download({ url, fileName: 'model.json' }, dir, { ...common, force: true });
  const modelJson = await readModelJson(join(dir, 'model.json'));
  for (const group of modelJson.weightsManifest) {
    const bytes = group.weights.reduce((n, w) => n + specBytes(w as tf.io.WeightsManifestEntry), 0);
    for (const shard of group.paths) {
      shardPath(join(dir, 'model.json'), shard);
      // A group split into several shards has no per-shard size; the total is checked below.
      await download({ url: new URL(shard, url).href, fileName: shard, ...(group.paths.length === 1 ? { size: bytes } : {}) }, dir, common);
    }
  }
  const after = await checkModelFolder(dir);
  if (after) throw new Error(`pretrained model: downloaded from ${url} but ${after}`);
  return dir;
}

/** null when `dir` has a model.json whose every shard is present with the right total size per group. */
export async function checkModelFolder(dir: string): Promise<string | null> {
  const jsonPath = join(dir, 'model.json');
  if (!existsSync(jsonPath)) return `${jsonPath} not found`;
  const modelJson = await readModelJson(jsonPath);
  for (const group of modelJson.weightsManifest) {
    let have = 0;
    for (const shard of group.paths) {
      const p = shardPath(jsonPath, shard);
      if (!existsSync(p)) return `${p} is missing`;
      have += statSync(p).size;
    }
    const want = group.weights.reduce((n, w) => n + specBytes(w as tf.io.WeightsManifestEntry), 0);
    if (have !== want) return `${group.paths.join(', ')} in ${dir} hold ${have} bytes, the manifest describes ${want}`;
  }
  return null;
}

export interface PretrainedMobileNetV1 {
  /** The full classifier: 224×224×3 in [-1, 1] → 1000 ImageNet probabilities. */
  model: tf.LayersModel;
  /** The 1000 ImageNet labels in output order. */
  labels: string[];
  dir: string;
}

/** The ImageNet-pretrained MobileNet v1 0.25 (tfjs layers format) with its 1000 labels. */
export async function loadPretrainedMobileNetV1(opts: PretrainedOptions = {}): Promise<PretrainedMobileNetV1> {
  const dir = await resolvePretrainedMobileNetV1(opts);
  const model = await loadLayersModelFromDir(dir, opts.inputSize !== undefined ? { inputSize: opts.inputSize } : {});
  const labels = await imagenetLabels(dir, opts);
  const outputs = model.outputs[0]!.shape[model.outputs[0]!.shape.length - 1];
  if (outputs !== labels.length) throw new Error(`${dir}: the model has ${outputs} outputs but ${labels.length} labels`);
  return { model, labels, dir };
}

/** MobileNet v1 0.25 cut at `conv_pw_13_relu` (7×7×256 at 224 px): a pretrained transfer-learning base. */
export async function mobileNetV1Base(opts: PretrainedOptions = {}): Promise<tf.LayersModel> {
  const { model } = await loadPretrainedMobileNetV1(opts);
  const base = cutAt(model, MOBILENET_V1_CUT, `mobilenet_0.25_${opts.inputSize ?? 224}`);
  // The classification head is unreachable from here on: free its weights.
  const kept = new Set(base.layers);
  for (const layer of model.layers) if (!kept.has(layer) && layer.weights.length > 0) layer.dispose();
  return base;
}

const metadataSchema = z.object({ labels: z.array(z.string()).length(1000) });
const classIndexSchema = z.record(z.string(), z.tuple([z.string(), z.string()]));

async function imagenetLabels(dir: string, opts: PretrainedOptions): Promise<string[]> {
  const metadataPath = join(dir, 'metadata.json');
  if (existsSync(metadataPath)) {
    const parsed = metadataSchema.safeParse(JSON.parse(await readFile(metadataPath, 'utf8')));
    if (!parsed.success) throw new Error(`${metadataPath}: labels: expected 1000 label strings`);
    return parsed.data.labels;
  }
  const indexDir = modelsDir(opts);
  const hint = `or put metadata.json ({"labels": [...]}) in ${dir}`;
  const indexPath = existsSync(join(indexDir, IMAGENET_CLASS_INDEX.fileName)) || opts.download !== false
    ? await download(IMAGENET_CLASS_INDEX, indexDir, {
        hint,
        ...(opts.progress ? { progress: opts.progress } : {}),
        ...(opts.fetchImpl ? { fetchImpl: opts.fetchImpl } : {}),
      })
    : null;
  if (!indexPath) throw new Error(`pretrained model: no labels (${metadataPath} not found and downloads are off); ${hint}`);
  const index = classIndexSchema.parse(JSON.parse(await readFile(indexPath, 'utf8')));
  return Array.from({ length: 1000 }, (_, i) => {
    const entry = index[String(i)];
    if (!entry) throw new Error(`${indexPath}: class ${i} missing`);
    return entry[1];
  });
}
