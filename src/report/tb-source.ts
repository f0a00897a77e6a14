import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { RunReader, isEventFileName } from '../tensorboard/index.ts';
import type { EventReader, EventSource } from './event-source.ts';

/**
 * Event-file directories inside one run directory (`.`, `train`, `validation`, …). Unlike
 * TensorBoard's discovery this never follows symbolic links, so nothing outside the logdir is read.
 */
async function discoverInside(dir: string, maxDepth = 3): Promise<string[]> {
  const found: string[] = [];
  const walk = async (rel: string, depth: number) => {
    const entries = await readdir(rel === '.' ? dir : join(dir, rel), { withFileTypes: true }).catch(() => []);
    if (entries.some((e) => e.isFile() && isEventFileName(e.name))) found.push(rel);
    if (depth >= maxDepth) return;
    for (const e of entries) {
      if (e.isDirectory() && e.name !== 'checkpoints' && !e.name.startsWith('.')) await walk(rel === '.' ? e.name : `${rel}/${e.name}`, depth + 1);
    }
  };
  await walk('.', 0);
  return found.sort();
}

function adapt(reader: RunReader): EventReader {
  return {
    update: () => reader.update(),
    scalarTags: () => reader.tags('scalars'),
    imageTags: () => reader.tags('images'),
    textTags: () => reader.tags('texts'),
    scalars: (tag) => reader.scalars(tag),
    images: (tag) => reader.images(tag),
    texts: (tag) => reader.texts(tag),
    hparams: () => reader.hparams(),
    warnings: () => reader.warnings,
  };
}

/** src/tensorboard's incremental RunReader behind the report's EventSource. */
export const tensorboardSource: EventSource = {
  discover: (dir) => discoverInside(dir),
  open: (dir) => adapt(new RunReader(dir)),
};
