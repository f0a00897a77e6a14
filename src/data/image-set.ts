import { PIXELS_PER_IMAGE } from './cifar10-files.ts';
import { NUM_CLASSES } from './classes.ts';

/** Images N×32×32×3 (RGB, HWC, one byte per value) with one label byte each. */
export interface ImageSet {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  /** For a subset: each image's index in the set it was taken from. */
  sourceIndices?: Int32Array;
}

/** A new set holding copies of the images at `indices`, in that order. */
export function selectImages(set: ImageSet, indices: ArrayLike<number>): ImageSet {
  const count = indices.length;
  const images = new Uint8Array(count * PIXELS_PER_IMAGE);
  const labels = new Uint8Array(count);
  const sourceIndices = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const src = indices[i];
    if (!Number.isInteger(src) || src < 0 || src >= set.count)
      throw new Error(`image index ${src} outside 0..${set.count - 1}`);
    images.set(set.images.subarray(src * PIXELS_PER_IMAGE, (src + 1) * PIXELS_PER_IMAGE), i * PIXELS_PER_IMAGE);
    labels[i] = set.labels[src];
    sourceIndices[i] = set.sourceIndices ? set.sourceIndices[src] : src;
  }
  return { images, labels, count, sourceIndices };
}

/** Images per class. */
export function classCounts(set: ImageSet, numClasses = NUM_CLASSES): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < set.count; i++) counts[set.labels[i]]++;
  return counts;
}

/** A zero-copy view of image `i`: 32×32×3 bytes, HWC. */
export function imageView(set: ImageSet, i: number): Uint8Array {
  return set.images.subarray(i * PIXELS_PER_IMAGE, (i + 1) * PIXELS_PER_IMAGE);
}
