// The feature cache: a frozen base sees every image (and each fixed augmented copy of it) once, so
// its pooled features are computed once per split and kept under <cache>/features/<key>/ for later runs.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { z } from 'zod';
import type { ImageSet } from '../data/index.ts';
import type { ExperimentDefinition } from '../experiment/definition.ts';
import type { RunProgress, RunRecord } from '../run/record.ts';
import { createExtractor, disposeExtractor, extractSplit } from './base-features.ts';
import type { FeatureModels, SizeFeatures } from './feature-models.ts';
import { splitViews } from './feature-views.ts';
import { weightsDigest, type RunModel } from './model-setup.ts';
import type { ForwardEngines } from './forward-engine.ts';
import type { TerminalProgress } from './progress-contract.ts';
import { progressLines } from './progress.ts';
import type { StopSignal } from './signals.ts';

/** Version of the cache layout and of what goes into a key: bump when either changes. */
const CACHE_FORMAT = 2;

/** Features [views × count, dim]: row v·count + i is view v (feature-views.ts) of image i. */
export interface CachedSplit {
  features: Float32Array;
  labels: Uint8Array;
  count: number;
  views: number;
  dim: number;
}

const metaSchema = z.object({
  format: z.literal(CACHE_FORMAT),
  dim: z.number().int().positive(),
  splits: z.record(z.string(), z.object({ count: z.number().int().nonnegative(), views: z.number().int().positive() })),
  identity: z.unknown(),
  createdAt: z.string(),
});

/**
 * The cache key: sha256 of everything the features depend on — the model (architecture, weights
 * identity, cut point), preprocessing, input sizes, resize mode, pooling, which images make up
 * each split (data files, seed, subset sizes) and which copies of them (flips, crops, TTA views).
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
      const rows = info.count * info.views;
      if (featureBytes.byteLength !== rows * meta.dim * 4 || labels.length !== info.count) return null;
      // Copy into an aligned buffer: Node's pooled Buffers may start at any offset.
      const features = new Float32Array(rows * meta.dim);
      new Uint8Array(features.buffer).set(featureBytes);
      out.set(split, { features, labels, count: info.count, views: info.views, dim: meta.dim });
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
    const splitInfo: Record<string, { count: number; views: number }> = {};
    for (const [name, split] of splits) {
      dim = split.dim;
      await writeFile(
        join(temp, `${name}.f32`),
        new Uint8Array(split.features.buffer, split.features.byteOffset, split.features.byteLength),
      );
      await writeFile(join(temp, `${name}.labels`), split.labels);
      splitInfo[name] = { count: split.count, views: split.views };
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
  /** The per-size feature models and the head above them. */
  models: FeatureModels;
  /** The splits, and the data files' sizes (part of the key). */
  data: FeatureData;
  numClasses: number;
  /** The cache root (locations.ts). */
  cacheDir: string;
  stop: StopSignal;
  /** run.json's progress heartbeat while features are computed. */
  heartbeat: (progress: RunProgress | null) => void;
  log: (line: string) => void;
  /** The extraction's progress, a pass per split and input size (default: plain lines through `log`). */
  progress?: TerminalProgress;
  /** The engine of the extraction (ONNX Runtime or tfjs; `--engine`); tfjs when absent. */
  engines?: ForwardEngines;
}

interface CachedFeatures {
  /** Null when a stop came before every split was done (nothing cached). */
  splits: Map<string, CachedSplit> | null;
  /** run.json's featureCache entry. */
  entry: NonNullable<RunRecord['featureCache']>;
}

/**
 * Features of every split from the cache, or computed now (and cached). Each input size is an entry
 * of its own, so joined multi-resolution features reuse the single sizes' entries (and vice versa).
 */
export async function cachedFeatures(input: CachedFeaturesInput): Promise<CachedFeatures> {
  const { data } = input;
  const sets = new Map<string, ImageSet>([
    ['train', data.train],
    ['test', data.test],
  ]);
  if (data.validation) sets.set('validation', data.validation);
  const parts: { splits: Map<string, CachedSplit>; entry: CachedFeatures['entry'] }[] = [];
  for (const size of input.models.sizes) {
    const part = await cachedSize(input, sets, size);
    if (part.splits === null) return part;
    parts.push({ splits: part.splits, entry: part.entry });
  }
  const entry = {
    used: true,
    hit: parts.every((p) => p.entry.hit),
    key: parts.map((p) => p.entry.key).join('+'),
    path: parts.map((p) => p.entry.path).join(delimiter),
  };
  return { splits: joinSizes(parts.map((p) => p.splits)), entry };
}

async function cachedSize(input: CachedFeaturesInput, sets: Map<string, ImageSet>, size: SizeFeatures) {
  const { def, built, data, log } = input;
  const identity = cacheIdentity(def, built, data, sets, size.size);
  const key = featureCacheKey(identity);
  const dir = featureCacheDir(input.cacheDir, key);
  const hit = await readFeatureCache(dir, [...sets.keys()]);
  // Random weights are never the same twice: compute their features, but do not keep them.
  const keep = def.model.weights !== 'none';
  const entry = { used: true, hit: hit !== null, key, path: keep ? dir : '' };
  if (hit) {
    log(`features ${size.size} px: cache hit ${dir}`);
    return { splits: hit, entry };
  }
  const splits = await computeFeatures(input, sets, size);
  if (splits && keep) {
    await writeFeatureCache(dir, splits, identity);
    log(`features ${size.size} px: cached in ${dir}`);
  }
  return { splits, entry };
}

/** The sizes' features side by side, row by row (one size: as it is). */
function joinSizes(parts: Map<string, CachedSplit>[]): Map<string, CachedSplit> {
  if (parts.length === 1) return parts[0]!;
  const out = new Map<string, CachedSplit>();
  for (const name of parts[0]!.keys()) {
    const splits = parts.map((p) => p.get(name)!);
    const dim = splits.reduce((n, s) => n + s.dim, 0);
    const { count, views, labels } = splits[0]!;
    const features = new Float32Array(count * views * dim);
    for (let row = 0; row < count * views; row++) {
      let column = row * dim;
      for (const s of splits) {
        features.set(s.features.subarray(row * s.dim, (row + 1) * s.dim), column);
        column += s.dim;
      }
    }
    out.set(name, { features, labels, count, views, dim });
  }
  return out;
}

/** Everything the features depend on: the cache key is its hash. */
function cacheIdentity(
  def: ExperimentDefinition,
  built: RunModel,
  data: FeatureData,
  sets: Map<string, ImageSet>,
  size: number,
) {
  return {
    base: def.model.base,
    alpha: def.model.alpha ?? null,
    weights: { source: def.model.weights, digest: weightsDigest(built.base) },
    preprocess: built.preprocessMode,
    inputSize: size,
    views: splitViews(def),
    resize: def.model.resize,
    pooling: def.model.head.pooling,
    joinLayers: def.model.head.joinLayers,
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

async function computeFeatures(input: CachedFeaturesInput, sets: Map<string, ImageSet>, size: SizeFeatures) {
  const { built, stop, log } = input;
  const progress = input.progress ?? progressLines(log);
  const views = splitViews(input.def);
  const out = new Map<string, CachedSplit>();
  const extractors = [await createExtractor(size, input.engines)];
  try {
    for (const [name, set] of sets) {
      const splitViewList = name === 'train' ? views.train : views.evaluation;
      const copies = splitViewList.length > 1 ? `, ${splitViewList.length} copies each` : '';
      const pass = progress.pass(`features ${name} ${size.size} px${copies}`, set.count * splitViewList.length);
      const onProgress = (done: number, total: number) => {
        input.heartbeat({ phase: 'features', split: name, done, total });
        pass.update(done);
      };
      const features = await extractSplit(extractors, {
        set,
        views: splitViewList,
        preprocess: built.preprocessMode,
        numClasses: input.numClasses,
        shouldStop: () => stop.requested,
        onProgress,
      }).finally(() => pass.end());
      if (features === null) {
        log('features: stopped before the cache was complete (nothing cached)');
        return null;
      }
      const split = { features, labels: set.labels.slice(), count: set.count, views: splitViewList.length };
      out.set(name, { ...split, dim: size.dim });
    }
    return out;
  } finally {
    for (const extractor of extractors) await disposeExtractor(extractor);
    input.heartbeat(null);
  }
}
