import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

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
export function featureCacheKey(identity: Record<string, unknown>): string {
  return createHash('sha256').update(stableJson({ format: CACHE_FORMAT, ...identity })).digest('hex');
}

export function featureCacheDir(cacheRoot: string, key: string): string {
  return join(cacheRoot, 'features', key);
}

/** Reads every split of a cached entry, or null when it is missing or incomplete (a miss). */
export async function readFeatureCache(dir: string, splits: string[]): Promise<Map<string, CachedSplit> | null> {
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
export async function writeFeatureCache(
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
      await writeFile(join(temp, `${name}.f32`), new Uint8Array(split.features.buffer, split.features.byteOffset, split.features.byteLength));
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
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}
