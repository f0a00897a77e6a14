// tfjs layers-format models: a file-system `tf.io` handler (no tfjs-node needed), loading a model
// folder, cutting a sub-model, and the pretrained MobileNet v1 0.25 (download, check, labels).
import * as tf from '@tensorflow/tfjs';
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { download } from '../../download/index.ts';
// Side effects: register our layer classes before any topology is deserialized. The frozen-aware
// BatchNormalization takes over tfjs' `BatchNormalization` registry entry, so every BN in a loaded
// model (checkpoints, tfjs-format pretrained models) behaves as in Keras when frozen.
import '../layers/freezable-batch-norm.ts';
import '../layers/up-sample.ts';

const WEIGHTS_FILE = 'weights.bin';

const manifestSchema = z.array(
  z.object({
    paths: z.array(z.string().min(1)),
    weights: z.array(
      z.object({ name: z.string(), shape: z.array(z.number().int().nonnegative()), dtype: z.string() }).passthrough(),
    ),
  }),
);
const modelJsonSchema = z
  .object({
    modelTopology: z.record(z.string(), z.unknown()),
    weightsManifest: manifestSchema,
    format: z.string().optional(),
    generatedBy: z.string().optional(),
    convertedBy: z.string().nullable().optional(),
    trainingConfig: z.record(z.string(), z.unknown()).optional(),
    userDefinedMetadata: z.record(z.string(), z.unknown()).optional(),
  })
  .passthrough();

type ModelJson = z.infer<typeof modelJsonSchema>;

/** `dir/` or `dir/model.json` → the model.json path. */
function modelJsonPath(dirOrModelJson: string): string {
  const p = dirOrModelJson.startsWith('file://') ? dirOrModelJson.slice('file://'.length) : dirOrModelJson;
  return p.endsWith('.json') ? resolve(p) : join(resolve(p), 'model.json');
}

/**
 * A tf.io handler that saves and loads the standard tfjs layers format on the local file system,
 * without tfjs-node: `model.json` + `weights.bin` on save (optimizer state too with
 * `includeOptimizer: true`), `model.json` + every shard its weightsManifest lists on load.
 * Saving writes temp files beside the targets, fsyncs, and renames weights then model.json, so a
 * crash never leaves a half-written file under either name.
 */
export function fileSystemIO(dirOrModelJson: string): tf.io.IOHandler {
  const jsonPath = modelJsonPath(dirOrModelJson);
  return {
    save: (artifacts) => saveArtifacts(jsonPath, artifacts),
    load: () => loadArtifacts(jsonPath),
  };
}

async function saveArtifacts(jsonPath: string, artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
  if (artifacts.modelTopology instanceof ArrayBuffer) {
    throw new Error(`${jsonPath}: saving binary (graph) model topologies is not supported`);
  }
  const dir = dirname(jsonPath);
  await mkdir(dir, { recursive: true });
  const weights =
    artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
  const modelJson: Record<string, unknown> = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
  };
  for (const key of [
    'trainingConfig',
    'userDefinedMetadata',
    'signature',
    'modelInitializer',
    'initializerSignature',
  ] as const) {
    if (artifacts[key] !== undefined) modelJson[key] = artifacts[key];
  }
  const suffix = `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const weightsPath = join(dir, WEIGHTS_FILE);
  const tmpWeights = weightsPath + suffix;
  const tmpJson = jsonPath + suffix;
  try {
    await writeSynced(tmpWeights, new Uint8Array(weights));
    await writeSynced(tmpJson, JSON.stringify(modelJson));
    await rename(tmpWeights, weightsPath);
    await rename(tmpJson, jsonPath);
    await syncDir(dir);
  } catch (err) {
    await Promise.all([rm(tmpWeights, { force: true }), rm(tmpJson, { force: true })]);
    throw new Error(`${jsonPath}: saving failed: ${(err as Error).message}`, { cause: err });
  }
  return {
    modelArtifactsInfo: {
      dateSaved: new Date(),
      modelTopologyType: 'JSON',
      modelTopologyBytes: JSON.stringify(artifacts.modelTopology).length,
      weightSpecsBytes: JSON.stringify(artifacts.weightSpecs ?? []).length,
      weightDataBytes: weights.byteLength,
    },
  };
}

async function writeSynced(path: string, data: Uint8Array | string): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => null);
  if (!handle) return;
  try {
    await handle.sync().catch(() => {});
  } finally {
    await handle.close();
  }
}

/** Parses and validates a model.json; one-line errors name the file and the field. */
async function readModelJson(jsonPath: string): Promise<ModelJson> {
  if (!existsSync(jsonPath)) throw new Error(`${jsonPath}: model.json not found`);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(jsonPath, 'utf8'));
  } catch (err) {
    throw new Error(`${jsonPath}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  const parsed = modelJsonSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${jsonPath}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** A shard path from a manifest, resolved inside the model folder (never outside it). */
function shardPath(jsonPath: string, shard: string): string {
  const dir = dirname(jsonPath);
  const p = resolve(dir, shard);
  const rel = relative(dir, p);
  if (isAbsolute(shard) || rel.startsWith('..') || isAbsolute(rel)) {
    throw new Error(`${jsonPath}: weightsManifest path "${shard}" points outside the model folder`);
  }
  return p;
}

async function loadArtifacts(jsonPath: string): Promise<tf.io.ModelArtifacts> {
  const modelJson = await readModelJson(jsonPath);
  return tf.io.getModelArtifactsForJSON(modelJson as unknown as tf.io.ModelJSON, async (manifest) => {
    const specs: tf.io.WeightsManifestEntry[] = [];
    const buffers: ArrayBuffer[] = [];
    for (const group of manifest) {
      for (const shard of group.paths) {
        const p = shardPath(jsonPath, shard);
        if (!existsSync(p)) throw new Error(`${jsonPath}: weight shard ${shard} is missing (${p})`);
        const data = await readFile(p);
        buffers.push(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer);
      }
      specs.push(...group.weights);
    }
    const weightData = tf.io.CompositeArrayBuffer.join(buffers);
    const expected = specs.reduce((n, s) => n + specBytes(s), 0);
    if (expected !== weightData.byteLength) {
      throw new Error(
        `${jsonPath}: the shards hold ${weightData.byteLength} bytes but the manifest describes ${expected}`,
      );
    }
    return [specs, weightData];
  });
}

const DTYPE_BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  float16: 2,
  uint16: 2,
  int16: 2,
  int8: 1,
};

/** Bytes a weight occupies in a shard (quantized weights store `quantization.dtype`). */
function specBytes(spec: tf.io.WeightsManifestEntry): number {
  const count = spec.shape.reduce((a, b) => a * b, 1);
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const size = DTYPE_BYTES[dtype];
  if (size === undefined) throw new Error(`weight ${spec.name}: unsupported dtype ${dtype}`);
  return count * size;
}

interface LoadFromDirOptions {
  /** Replace the input layer's spatial size (fully convolutional models only). */
  inputSize?: number;
  strict?: boolean;
}

/** Loads a tfjs layers-format model from a folder (or a model.json path). */
export async function loadLayersModelFromDir(
  dirOrModelJson: string,
  opts: LoadFromDirOptions = {},
): Promise<tf.LayersModel> {
  const handler = fileSystemIO(dirOrModelJson);
  const io: tf.io.IOHandler =
    opts.inputSize === undefined
      ? handler
      : {
          load: async () => {
            const artifacts = await handler.load!();
            return {
              ...artifacts,
              modelTopology: withInputSize(artifacts.modelTopology as Record<string, unknown>, opts.inputSize!),
            };
          },
        };
  try {
    return await tf.loadLayersModel(io, { strict: opts.strict ?? true });
  } catch (err) {
    const msg = (err as Error).message ?? String(err);
    throw new Error(msg.includes(modelJsonPath(dirOrModelJson)) ? msg : `${modelJsonPath(dirOrModelJson)}: ${msg}`, {
      cause: err,
    });
  }
}

/** A copy of a Keras topology whose input layers take `size`×`size` images. */
function withInputSize(topology: Record<string, unknown>, size: number): Record<string, unknown> {
  const copy = structuredClone(topology);
  const config = ((copy.model_config as Record<string, unknown> | undefined) ?? copy) as {
    config?: { layers?: unknown[] };
  };
  for (const layer of (config.config?.layers ?? []) as {
    class_name: string;
    config: { batch_input_shape?: (number | null)[] };
  }[]) {
    const shape = layer.config.batch_input_shape;
    if (layer.class_name === 'InputLayer' && shape && shape.length === 4) {
      layer.config.batch_input_shape = [shape[0] ?? null, size, size, shape[3] ?? null];
    }
  }
  return copy;
}

/**
 * A model from `model`'s inputs to the output of its layer `layerName` — a pretrained classifier
 * cut into a feature extractor. Layers (and weights) are shared with `model`.
 */
export function cutAt(model: tf.LayersModel, layerName: string, name?: string): tf.LayersModel {
  const layer = model.layers.find((l) => l.name === layerName);
  if (!layer) {
    const near = model.layers
      .filter((l) => l.name.includes(layerName.split('_')[0] ?? layerName))
      .slice(-3)
      .map((l) => l.name);
    throw new Error(
      `cutAt: model "${model.name}" has no layer "${layerName}"${near.length ? ` (similar: ${near.join(', ')})` : ''}`,
    );
  }
  if (layer.inboundNodes.length !== 1) {
    throw new Error(
      `cutAt: layer "${layerName}" of model "${model.name}" is used ${layer.inboundNodes.length} times; ` +
        'cut at a layer used once',
    );
  }
  return tf.model({
    inputs: model.inputs,
    outputs: layer.output as tf.SymbolicTensor,
    name: name ?? `${model.name}_to_${layerName.replace(/\//g, '_')}`,
  });
}

let routersRegistered = false;

/**
 * Makes `model.save('file://dir')` and `tf.loadLayersModel('file://dir/model.json')` use
 * `fileSystemIO`, unless a file:// handler (tfjs-node's) is already registered.
 */
function registerFileRouters(): void {
  if (routersRegistered) return;
  routersRegistered = true;
  const probe = 'file:///transfer-lab-probe';
  // tfjs' IORouter type says it returns a handler, but its registry treats null as "not mine".
  const router = ((url: string | string[]) => {
    const u = Array.isArray(url) ? url[0] : url;
    // tfjs-node, once imported (its 'tensorflow' backend is registered), routes file:// itself;
    // two handlers for one URL would make tfjs refuse both.
    if (tf.findBackendFactory('tensorflow') != null) return null;
    return typeof u === 'string' && u.startsWith('file://') ? fileSystemIO(u) : null;
  }) as Parameters<typeof tf.io.registerSaveRouter>[0];
  if (tf.io.getSaveHandlers(probe).length === 0) tf.io.registerSaveRouter(router);
  if (tf.io.getLoadHandlers(probe).length === 0) tf.io.registerLoadRouter(router);
}

registerFileRouters();

export const MOBILENET_V1_NAME = 'mobilenet_v1_0.25_224';
export const MOBILENET_V1_URL = `https://storage.googleapis.com/tfjs-models/tfjs/${MOBILENET_V1_NAME}/model.json`;
/** Keras' ImageNet class index (`decode_predictions`), used when the model folder has no metadata.json. */
const IMAGENET_CLASS_INDEX = {
  url: 'https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json',
  fileName: 'imagenet_class_index.json',
  md5: 'c2c37ea517e94d9795004a39431a14cb',
};
const MOBILENET_V1_CUT = 'conv_pw_13_relu';

interface PretrainedOptions {
  /** The folder holding `mobilenet_v1_0.25_224/` (experiment/locations.ts resolves it). */
  modelsDir: string;
  /** Download when missing (default true). */
  download?: boolean;
  progress?: 'auto' | 'bar' | 'lines' | 'none';
  fetchImpl?: typeof fetch;
  /** Input size other than 224 (the network is fully convolutional up to its pooled head). */
  inputSize?: number;
  /** Where the model comes from (tests, mirrors); default the official tfjs-models storage. */
  url?: string;
}

/**
 * The folder holding the pretrained MobileNet v1 0.25/224 in tfjs layers format: used as is when
 * model.json and every shard it lists are present with the sizes the manifest implies (no md5 is
 * published for these files), else downloaded there (model.json first, then its shards).
 */
export async function resolvePretrainedMobileNetV1(opts: PretrainedOptions): Promise<string> {
  const dir = join(resolve(opts.modelsDir), MOBILENET_V1_NAME);
  const url = opts.url ?? MOBILENET_V1_URL;
  const problem = await checkModelFolder(dir);
  if (!problem) return dir;
  const elsewhere = `point --models-dir / TRANSFERLAB_MODELS_DIR at a folder holding ${MOBILENET_V1_NAME}/`;
  const hint = `download ${url} and the shards it lists into ${dir}, or ${elsewhere}`;
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
      await download(
        { url: new URL(shard, url).href, fileName: shard, ...(group.paths.length === 1 ? { size: bytes } : {}) },
        dir,
        common,
      );
    }
  }
  const after = await checkModelFolder(dir);
  if (after) throw new Error(`pretrained model: downloaded from ${url} but ${after}`);
  return dir;
}

/** null when `dir` has a model.json whose every shard is present with the right total size per group. */
async function checkModelFolder(dir: string): Promise<string | null> {
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

interface PretrainedMobileNetV1 {
  /** The full classifier: 224×224×3 in [-1, 1] → 1000 ImageNet probabilities. */
  model: tf.LayersModel;
  /** The 1000 ImageNet labels in output order. */
  labels: string[];
  dir: string;
}

/** The ImageNet-pretrained MobileNet v1 0.25 (tfjs layers format) with its 1000 labels. */
export async function loadPretrainedMobileNetV1(opts: PretrainedOptions): Promise<PretrainedMobileNetV1> {
  const dir = await resolvePretrainedMobileNetV1(opts);
  const model = await loadLayersModelFromDir(dir, opts.inputSize !== undefined ? { inputSize: opts.inputSize } : {});
  const labels = await imagenetLabels(dir, opts);
  const outputs = model.outputs[0]!.shape[model.outputs[0]!.shape.length - 1];
  if (outputs !== labels.length)
    throw new Error(`${dir}: the model has ${outputs} outputs but ${labels.length} labels`);
  return { model, labels, dir };
}

/** MobileNet v1 0.25 cut at `conv_pw_13_relu` (7×7×256 at 224 px): a pretrained transfer-learning base. */
export async function mobileNetV1Base(opts: PretrainedOptions): Promise<tf.LayersModel> {
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
  const indexDir = resolve(opts.modelsDir);
  const hint = `or put metadata.json ({"labels": [...]}) in ${dir}`;
  const indexPath =
    existsSync(join(indexDir, IMAGENET_CLASS_INDEX.fileName)) || opts.download !== false
      ? await download(IMAGENET_CLASS_INDEX, indexDir, {
          hint,
          ...(opts.progress ? { progress: opts.progress } : {}),
          ...(opts.fetchImpl ? { fetchImpl: opts.fetchImpl } : {}),
        })
      : null;
  if (!indexPath)
    throw new Error(`pretrained model: no labels (${metadataPath} not found and downloads are off); ${hint}`);
  const index = classIndexSchema.parse(JSON.parse(await readFile(indexPath, 'utf8')));
  return Array.from({ length: 1000 }, (_, i) => {
    const entry = index[String(i)];
    if (!entry) throw new Error(`${indexPath}: class ${i} missing`);
    return entry[1];
  });
}
