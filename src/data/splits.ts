import { NUM_CLASSES } from './classes.ts';
import { selectImages, type ImageSet } from './image-set.ts';
import { mixSeed, mulberry32, shuffleInPlace } from './random.ts';

function indicesByClass(set: ImageSet, numClasses: number): number[][] {
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < set.count; i++) {
    const label = set.labels[i];
    if (label >= numClasses) throw new Error(`image ${i} has label ${label}, expected 0–${numClasses - 1}`);
    byClass[label].push(i);
  }
  return byClass;
}

/**
 * Exactly `perClass` images of every class, chosen by a seeded shuffle; the result is in a seeded random
 * order, so any prefix of it is close to balanced too.
 */
export function stratifiedSubset(set: ImageSet, perClass: number, seed: number, numClasses = NUM_CLASSES): ImageSet {
  if (!Number.isInteger(perClass) || perClass < 1)
    throw new Error(`perClass must be a positive integer, got ${perClass}`);
  const rng = mulberry32(mixSeed(seed, 0x5b5e7));
  const chosen: number[] = [];
  indicesByClass(set, numClasses).forEach((indices, label) => {
    if (indices.length < perClass)
      throw new Error(`asked for ${perClass} images per class, but class ${label} has ${indices.length}`);
    chosen.push(...shuffleInPlace(indices, rng).slice(0, perClass));
  });
  return selectImages(set, shuffleInPlace(chosen, rng));
}

/** Per-class quotas summing to `size`, proportional to the class counts (largest remainder). */
function quotas(counts: number[], size: number, total: number): number[] {
  const exact = counts.map((c) => (c * size) / total);
  const q = exact.map(Math.floor);
  const order = exact.map((e, c) => ({ c, frac: e - Math.floor(e) })).sort((a, b) => b.frac - a.frac || a.c - b.c);
  for (let k = 0, left = size - q.reduce((a, b) => a + b, 0); left > 0; k++, left--) q[order[k].c]++;
  return q;
}

/**
 * Holds out a stratified validation set of `size` images (a fraction when 0 < size < 1) from `set`;
 * both parts keep the original order.
 */
export function splitValidation(
  set: ImageSet,
  size: number,
  seed: number,
  numClasses = NUM_CLASSES,
): { train: ImageSet; validation: ImageSet } {
  const n = size > 0 && size < 1 ? Math.round(size * set.count) : size;
  if (!Number.isInteger(n) || n < 0 || n >= set.count) {
    throw new Error(`validation size must be an integer in 0..${set.count - 1} or a fraction in (0, 1), got ${size}`);
  }
  const byClass = indicesByClass(set, numClasses);
  const q = quotas(
    byClass.map((ix) => ix.length),
    n,
    set.count,
  );
  const rng = mulberry32(mixSeed(seed, 0x7a11d));
  const held = new Uint8Array(set.count);
  byClass.forEach((indices, label) => {
    for (const i of shuffleInPlace(indices, rng).slice(0, q[label])) held[i] = 1;
  });
  const train: number[] = [];
  const validation: number[] = [];
  for (let i = 0; i < set.count; i++) (held[i] ? validation : train).push(i);
  return { train: selectImages(set, train), validation: selectImages(set, validation) };
}
