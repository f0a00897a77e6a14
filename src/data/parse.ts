import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CIFAR10_META_FILE,
  CIFAR10_TEST_FILE,
  CIFAR10_TRAIN_FILES,
  IMAGE_SIZE,
  PIXELS_PER_IMAGE,
  RECORD_BYTES,
  RECORDS_PER_FILE,
} from './cifar10-files.ts';
import { NUM_CLASSES, readClassNames } from './classes.ts';
import type { ImageSet } from './image-set.ts';

const PLANE = IMAGE_SIZE * IMAGE_SIZE;

/**
 * Decodes records (label byte + R, G, B planes) into `images` (HWC) and `labels` from `offset` on.
 * `file` names the source in errors.
 */
export function decodeRecords(
  bytes: Uint8Array,
  file: string,
  images: Uint8Array,
  labels: Uint8Array,
  offset = 0,
): number {
  if (bytes.length % RECORD_BYTES !== 0) {
    throw new Error(`${file}: ${bytes.length} bytes is not a whole number of ${RECORD_BYTES}-byte records`);
  }
  const records = bytes.length / RECORD_BYTES;
  for (let r = 0; r < records; r++) {
    const base = r * RECORD_BYTES;
    const label = bytes[base];
    if (label >= NUM_CLASSES) throw new Error(`${file}: record ${r} has label ${label}, expected 0–${NUM_CLASSES - 1}`);
    labels[offset + r] = label;
    const out = (offset + r) * PIXELS_PER_IMAGE;
    const red = base + 1;
    const green = red + PLANE;
    const blue = green + PLANE;
    for (let p = 0; p < PLANE; p++) {
      const o = out + 3 * p;
      images[o] = bytes[red + p];
      images[o + 1] = bytes[green + p];
      images[o + 2] = bytes[blue + p];
    }
  }
  return records;
}

async function readBatchFile(path: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new Error(
      `${path}: cannot read CIFAR-10 batch (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      { cause: err },
    );
  }
  const expected = RECORDS_PER_FILE * RECORD_BYTES;
  if (bytes.length !== expected) {
    throw new Error(
      `${path}: ${bytes.length} bytes, expected ${expected} (${RECORDS_PER_FILE} records of ${RECORD_BYTES} bytes)`,
    );
  }
  return bytes;
}

/** Parses batch files, in order, into one compact set. */
export async function loadBatchFiles(paths: string[]): Promise<ImageSet> {
  const count = paths.length * RECORDS_PER_FILE;
  const images = new Uint8Array(count * PIXELS_PER_IMAGE);
  const labels = new Uint8Array(count);
  let offset = 0;
  for (const path of paths) offset += decodeRecords(await readBatchFile(path), path, images, labels, offset);
  return { images, labels, count };
}

interface Cifar10 {
  train: ImageSet;
  test: ImageSet;
  classNames: string[];
}

/** Loads the folder holding data_batch_1..5.bin, test_batch.bin and batches.meta.txt (~184 MB in memory). */
export async function loadCifar10(dir: string): Promise<Cifar10> {
  const classNames = await readClassNames(join(dir, CIFAR10_META_FILE));
  const train = await loadBatchFiles(CIFAR10_TRAIN_FILES.map((f) => join(dir, f)));
  const test = await loadBatchFiles([join(dir, CIFAR10_TEST_FILE)]);
  return { train, test, classNames };
}
