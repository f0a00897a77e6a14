// The feature cache: a frozen base without augmentation sees every image once, so its pooled
// features are computed once per split and kept under <cache>/features/<key>/ for later runs.
import * as tf from '@tensorflow/tfjs';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { batches, type ImageSet } from '../data/index.ts';
import type { ExperimentDefinition } from '../experiment/definition.ts';
import { foldBatchNorm, type InferenceModel } from '../models/index.ts';
import type { RunProgress, RunRecord } from '../run/record.ts';
import { onnxFeatures, type ForwardEngines } from './forward-engine.ts';
import { weightsDigest, type RunModel, type SplitModel } from './model-setup.ts';
import type { StopSignal } from './signals.ts';

const FEATURE_BATCH = 64;
const LOG_EVERY_MS = 10_000;
/** Version of the cache layout and of what goes into a key: bump when either changes. */
const CACHE_FORMAT = 1;

export interface CachedSplit {
  features: Float32Array;
  labels: Uint8Array;
  count: number;
  dim: number;
}

const metaSchema = z.object({
  format: z.literal(CACHE_FORMAT),
  dim: z.number().int().positive(),
  splits: z.record(z.string(), z.object({ count: z.number().int().nonnegative() })),
  identity: z.unknown(),
  createdAt: z.string(),
});

/**
 * The cache key: sha256 of everything the features depend on — the model (architecture, weights
 * identity, cut point), preprocessing, input size, resize mode, pooling, and which images make up
 * each split (data files, seed, subset sizes).
 */
function featureCacheKey(identity: Record<string, unknown>): string {
  return createHash('sha256')
    .update(stableJson({ format: CACHE_FORMAT, ...identity }))
    .digest('hex');
}

function featureCacheDir(cacheRoot: string, key: string): string {
  return join(cacheRoot, 'features', key);
}

/** Reads every split of a cached entry, or null when it is missing or incomplete (a miss). */
async function readFeatureCache(dir: string, splits: string[]): Promise<Map<string, CachedSplit> | null> {
  const metaPath = join(dir, 'meta.json');
  if (!existsSync(metaPath)) return null;
  try {
    const meta = metaSchema.parse(JSON.parse(await readFile(metaPath, 'utf8')));
    const out = new Map<string, CachedSplit>();
    for (const split of splits) {
      const info = meta.splits[split];
      if (!info) return null;
      const featureBytes = await readFile(join(dir, `${split}.f32`));
      const labels = new Uint8Array(await readFile(join(dir, `${split}.labels`)));
      if (featureBytes.byteLength !== info.count * meta.dim * 4 || labels.length !== info.count) return null;
      // Copy into an aligned buffer: Node's pooled Buffers may start at any offset.
      const features = new Float32Array(info.count * meta.dim);
      new Uint8Array(features.buffer).set(featureBytes);
      out.set(split, { features, labels, count: info.count, dim: meta.dim });
    }
    return out;
  } catch {
    return null;
  }
}

/** Writes a complete entry into a temp folder, then renames it into place (readers never see half of one). */
async function writeFeatureCache(
  dir: string,
  splits: Map<string, CachedSplit>,
  identity: Record<string, unknown>,
): Promise<void> {
  const temp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(temp, { recursive: true });
  try {
    let dim = 0;
    const splitInfo: Record<string, { count: number }> = {};
    for (const [name, split] of splits) {
      dim = split.dim;
      await writeFile(
        join(temp, `${name}.f32`),
        new Uint8Array(split.features.buffer, split.features.byteOffset, split.features.byteLength),
      );
      await writeFile(join(temp, `${name}.labels`), split.labels);
      splitInfo[name] = { count: split.count };
    }
    const meta = { format: CACHE_FORMAT, dim, splits: splitInfo, identity, createdAt: new Date().toISOString() };
    await writeFile(join(temp, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
    await rm(dir, { recursive: true, force: true });
    await rename(temp, dir);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
}

/** JSON with object keys sorted, so equal identities hash equally. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

interface FeatureData {
  train: ImageSet;
  validation: ImageSet | null;
  test: ImageSet;
  files: Record<string, number>;
}

export interface CachedFeaturesInput {
  def: ExperimentDefinition;
  built: RunModel;
  split: SplitModel;
  /** The splits, and the data files' sizes (part of the key). */
  data: FeatureData;
  numClasses: number;
  /** The cache root (locations.ts). */
  cacheDir: string;
  stop: StopSignal;
  /** run.json's progress heartbeat while features are computed. */
  heartbeat: (progress: RunProgress | null) => void;
  log: (line: string) => void;
  /** The engine of the extraction (ONNX Runtime or tfjs; `--engine`); tfjs when absent. */
  engines?: ForwardEngines;
}

interface CachedFeatures {
  /** Null when a stop came before every split was done (nothing cached). */
  splits: Map<string, CachedSplit> | null;
  /** run.json's featureCache entry. */
  entry: NonNullable<RunRecord['featureCache']>;
}

/** Features of every split from the cache, or computed now (and cached). */
export async function cachedFeatures(input: CachedFeaturesInput): Promise<CachedFeatures> {
  const { def, built, data, log } = input;
  const sets = new Map<string, ImageSet>([
    ['train', data.train],
    ['test', data.test],
  ]);
  if (data.validation) sets.set('validation', data.validation);
  const identity = cacheIdentity(def, built, data, sets);
  const key = featureCacheKey(identity);
  const dir = featureCacheDir(input.cacheDir, key);
  const hit = await readFeatureCache(dir, [...sets.keys()]);
  // Random weights are never the same twice: compute their features, but do not keep them.
  const keep = def.model.weights !== 'none';
  const entry = { used: true, hit: hit !== null, key, path: keep ? dir : '' };
  if (hit) {
    log(`features: cache hit ${dir}`);
    return { splits: hit, entry };
  }
  const splits = await computeFeatures(input, sets);
  if (splits && keep) {
    await writeFeatureCache(dir, splits, identity);
    log(`features: cached in ${dir}`);
  }
  return { splits, entry };
}

/** Everything the features depend on: the cache key is its hash. */
function cacheIdentity(def: ExperimentDefinition, built: RunModel, data: FeatureData, sets: Map<string, ImageSet>) {
  return {
    base: def.model.base,
    alpha: def.model.alpha ?? null,
    weights: { source: def.model.weights, digest: weightsDigest(built.base) },
    preprocess: built.preprocessMode,
    inputSize: def.model.inputSize,
    resize: def.model.resize,
    pooling: def.model.head.pooling,
    data: {
      files: data.files,
      seed: def.seed,
      validationSize: def.data.validationSize,
      trainPerClass: def.data.trainPerClass ?? null,
      testPerClass: def.data.testPerClass ?? null,
      counts: Object.fromEntries([...sets].map(([k, v]) => [k, v.count])),
    },
  };
}

async function computeFeatures(input: CachedFeaturesInput, sets: Map<string, ImageSet>) {
  const { built, split, stop, log } = input;
  const out = new Map<string, CachedSplit>();
  const onnx = input.engines
    ? await input.engines.open('features', split.features, { preprocess: built.preprocessMode })
    : null;
  // Inference-only copy with BatchNorm folded into the convolutions: ~3.6× faster on wasm.
  const featureModel = onnx ? null : foldBatchNorm(split.features);
  try {
    for (const [name, set] of sets) {
      const t0 = performance.now();
      let lastLog = t0;
      const onProgress = (done: number, total: number) => {
        input.heartbeat({ phase: 'features', split: name, done, total });
        const now = performance.now();
        if (now - lastLog > LOG_EVERY_MS || done === total) {
          lastLog = now;
          log(`features ${name}: ${done}/${total} images · ${(done / ((now - t0) / 1000)).toFixed(0)} img/s`);
        }
      };
      const shouldStop = () => stop.requested;
      const features = featureModel
        ? await extractFeatures(featureModel, set, built, split.featureDim, {
            numClasses: input.numClasses,
            shouldStop,
            onProgress,
          })
        : await onnxFeatures(onnx!, set, { shouldStop, onProgress });
      if (features === null) {
        log('features: stopped before the cache was complete (nothing cached)');
        return null;
      }
      out.set(name, features);
    }
    return out;
  } finally {
    featureModel?.dispose();
    await onnx?.dispose();
    input.heartbeat(null);
  }
}

/**
 * Runs every image of a split through the frozen feature model once (inference mode) and returns the
 * pooled features as one [count, dim] Float32 matrix; null when a stop was requested midway.
 */
async function extractFeatures(
  featureModel: tf.LayersModel | InferenceModel,
  set: ImageSet,
  built: Pick<RunModel, 'preprocessMode'>,
  dim: number,
  opts: { numClasses: number; shouldStop: () => boolean; onProgress: (done: number, total: number) => void },
): Promise<CachedSplit | null> {
  const features = new Float32Array(set.count * dim);
  const stream = batches(set, {
    batchSize: FEATURE_BATCH,
    shuffle: false,
    preprocess: built.preprocessMode,
    numClasses: opts.numClasses,
    prefetch: 1,
  });
  let done = 0;
  for await (const batch of stream) {
    const out = tf.tidy(() => featureModel.apply(batch.x, { training: false }) as tf.Tensor);
    // Read outside tidy: tidy walks a returned typed array element by element looking for tensors.
    features.set(out.dataSync() as Float32Array, batch.batch * FEATURE_BATCH * dim);
    tf.dispose([out, batch.x, batch.y]);
    done += batch.labels.length;
    opts.onProgress(done, set.count);
    if (opts.shouldStop()) return null;
  }
  return { features, labels: set.labels.slice(), count: set.count, dim };
}
