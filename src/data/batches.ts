import * as tf from '@tensorflow/tfjs';
import { drawAugmentation, writeAugmented, type AugmentOptions } from './augment.ts';
import { IMAGE_SIZE, PIXELS_PER_IMAGE } from './cifar10-files.ts';
import { NUM_CLASSES } from './classes.ts';
import { imageView, type ImageSet } from './image-set.ts';
import { preprocessTable } from './preprocess.ts';
import type { PreprocessMode, ResizeMode } from './modes.ts';
import { mixSeed, mulberry32, shuffleInPlace } from './random.ts';
import { resizeBatch } from './resize.ts';

export interface BatchOptions {
  batchSize: number;
  /** Output side in pixels (default 32: no resize). */
  size?: number;
  resize?: ResizeMode;
  preprocess?: PreprocessMode;
  /** Shuffle per epoch (default true); the order depends only on (seed, epoch). */
  shuffle?: boolean;
  seed?: number;
  epoch?: number;
  /** Skip to this batch of the epoch (a resumed run); orders and augmentations are unchanged. */
  startBatch?: number;
  /** Off by default; `true` = flip and crop with 4-px padding. */
  augment?: boolean | AugmentOptions;
  /** Drop a last, smaller batch (default false). */
  dropRemainder?: boolean;
  /** Batches prepared ahead of the consumer (default 1). */
  prefetch?: number;
  numClasses?: number;
}

export interface Batch {
  /** float32 [B, size, size, 3], resized and preprocessed. The caller disposes it. */
  x: tf.Tensor4D;
  /** float32 one-hot [B, numClasses]. The caller disposes it. */
  y: tf.Tensor2D;
  /** Each row's index in the set. */
  indices: Int32Array;
  labels: Uint8Array;
  /** This batch's number in the epoch. */
  batch: number;
}

export function batchCount(count: number, batchSize: number, dropRemainder = false): number {
  return dropRemainder ? Math.floor(count / batchSize) : Math.ceil(count / batchSize);
}

/** The epoch's visiting order: a permutation from (seed, epoch), or 0..count−1 without shuffling. */
export function epochOrder(count: number, seed: number, epoch: number, shuffle = true): Int32Array {
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  return shuffle ? shuffleInPlace(order, mulberry32(mixSeed(seed, epoch, 0x0de7))) : order;
}

function augmentOptions(augment: BatchOptions['augment']): AugmentOptions | null {
  if (!augment) return null;
  const opts = augment === true ? { flip: true, crop: true } : augment;
  return opts.flip || opts.crop ? { pad: 4, ...opts } : null;
}

function checkOptions(set: ImageSet, opts: BatchOptions, total: number): void {
  if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1)
    throw new Error(`batchSize must be a positive integer, got ${opts.batchSize}`);
  const start = opts.startBatch ?? 0;
  if (!Number.isInteger(start) || start < 0 || start > total)
    throw new Error(`startBatch must be in 0..${total}, got ${start}`);
  if (opts.size !== undefined && (!Number.isInteger(opts.size) || opts.size < 1))
    throw new Error(`size must be a positive integer, got ${opts.size}`);
  if (set.images.length < set.count * PIXELS_PER_IMAGE || set.labels.length < set.count)
    throw new Error(`image set holds fewer than its ${set.count} images`);
}

/** What every batch of one epoch shares. */
interface EpochPlan {
  set: ImageSet;
  opts: BatchOptions;
  order: Int32Array;
  seed: number;
  epoch: number;
  size: number;
  numClasses: number;
  augment: ReturnType<typeof augmentOptions>;
  table: ReturnType<typeof preprocessTable>;
  scratch: Uint8Array;
}

/** Batch `k` of the epoch: augmented, preprocessed (lookup table) and resized, as tensors. */
function buildBatch(plan: EpochPlan, k: number): Batch {
  const { set, opts, augment, scratch, numClasses, size } = plan;
  const [c0, c1, c2] = plan.table.sourceChannel;
  const lut = plan.table.values;
  const from = k * opts.batchSize;
  const indices = plan.order.slice(from, Math.min(from + opts.batchSize, set.count));
  const n = indices.length;
  const pixels = new Float32Array(n * PIXELS_PER_IMAGE);
  const labels = new Uint8Array(n);
  const rng = mulberry32(mixSeed(plan.seed, plan.epoch, k, 0xa06));
  for (let i = 0; i < n; i++) {
    let image = imageView(set, indices[i]);
    if (augment) {
      writeAugmented(image, scratch, 0, drawAugmentation(rng, augment), augment.pad);
      image = scratch;
    }
    const base = i * PIXELS_PER_IMAGE;
    for (let p = 0; p < PIXELS_PER_IMAGE; p += 3) {
      pixels[base + p] = lut[image[p + c0]];
      pixels[base + p + 1] = lut[256 + image[p + c1]];
      pixels[base + p + 2] = lut[512 + image[p + c2]];
    }
    labels[i] = set.labels[indices[i]];
    if (labels[i] >= numClasses)
      throw new Error(`image ${indices[i]} has label ${labels[i]}, expected 0–${numClasses - 1}`);
  }
  const { x, y } = tf.tidy(() => {
    let x = tf.tensor4d(pixels, [n, IMAGE_SIZE, IMAGE_SIZE, 3]);
    if (size !== IMAGE_SIZE) x = resizeBatch(x, size, opts.resize ?? 'bilinear');
    const y = tf.oneHot(tf.tensor1d(labels, 'int32'), numClasses).toFloat() as tf.Tensor2D;
    return { x, y };
  });
  return { x, y, indices, labels, batch: k };
}

/** Runs `build` once the consumer yields to the event loop (setImmediate), so it overlaps its work. */
function inBackground(build: () => Batch): Promise<Batch> {
  const ready = new Promise<Batch>((ok, ko) =>
    setImmediate(() => {
      try {
        ok(build());
      } catch (err) {
        ko(err);
      }
    }),
  );
  // Awaited in order by the caller; this only stops an early rejection being reported as unhandled.
  ready.catch(() => {});
  return ready;
}

/**
 * The epoch's batches as tensors, built per batch from the compact uint8 set (so memory stays bounded at
 * any size) and prepared `prefetch` batches ahead while the consumer awaits its training step.
 * Per image: augmentation on the raw bytes (crop padding is black), then Keras preprocessing
 * (bit-identical, via a lookup table), then the resize of the batch. Bilinear and nearest commute with
 * the per-channel affine preprocessing; `pad` therefore fills the canvas with 0 in preprocessed units,
 * like a ZeroPadding2D after preprocess_input.
 * Breaking out of the loop disposes the batches prepared ahead; the ones yielded are the caller's.
 */
export async function* batches(set: ImageSet, opts: BatchOptions): AsyncGenerator<Batch, void, undefined> {
  const total = batchCount(set.count, opts.batchSize, opts.dropRemainder);
  checkOptions(set, opts, total);
  const seed = opts.seed ?? 0;
  const epoch = opts.epoch ?? 0;
  const plan: EpochPlan = {
    set,
    opts,
    seed,
    epoch,
    order: epochOrder(set.count, seed, epoch, opts.shuffle ?? true),
    size: opts.size ?? IMAGE_SIZE,
    numClasses: opts.numClasses ?? NUM_CLASSES,
    augment: augmentOptions(opts.augment),
    table: preprocessTable(opts.preprocess ?? 'none'),
    scratch: new Uint8Array(PIXELS_PER_IMAGE),
  };
  const schedule = (k: number): Promise<Batch> => inBackground(() => buildBatch(plan, k));

  const ahead = Math.max(0, opts.prefetch ?? 1);
  const queue: Promise<Batch>[] = [];
  let next = opts.startBatch ?? 0;
  try {
    while (next < total || queue.length > 0) {
      // the batch handed out now plus `ahead` in preparation while the consumer works on it
      while (queue.length < ahead + 1 && next < total) queue.push(schedule(next++));
      yield await queue.shift()!;
    }
  } finally {
    for (const result of await Promise.allSettled(queue)) {
      if (result.status === 'fulfilled') tf.dispose([result.value.x, result.value.y]);
    }
  }
}
