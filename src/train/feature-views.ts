// Which copies of each image a cached-feature run extracts: training features for every augmented
// copy (the original, its mirror, random crops), and for test-time augmentation the mirror of each
// validation and test image. The copies are fixed per (seed, copy, image), so they are part of the
// cache key and a later run reads the same features.
import { PIXELS_PER_IMAGE, type ImageSet } from '../data/index.ts';
import { drawAugmentation, writeAugmented } from '../data/augment.ts';
import { mixSeed, mulberry32 } from '../data/random.ts';
import { cropPadding, type ExperimentDefinition } from '../experiment/definition.ts';

/** One copy of every image: mirrored or not, or a random crop (and flip) drawn per image from `seed`. */
export type ImageView =
  { kind: 'original' } | { kind: 'mirror' } | { kind: 'crop'; pad: number; flip: boolean; seed: number };

export interface SplitViews {
  train: ImageView[];
  /** Validation and test: the original, and its mirror with `eval.tta: flip`. */
  evaluation: ImageView[];
}

/** The views a definition asks for (cached features only). */
export function splitViews(def: ExperimentDefinition): SplitViews {
  const { flip, crop, cropCopies } = def.data.augment;
  const pad = cropPadding(crop);
  const train: ImageView[] = [{ kind: 'original' }];
  if (flip) train.push({ kind: 'mirror' });
  if (pad > 0) {
    for (let k = 0; k < cropCopies; k++) train.push({ kind: 'crop', pad, flip, seed: mixSeed(def.seed, k, 0xc40) });
  }
  const evaluation: ImageView[] = [{ kind: 'original' }];
  if (def.eval.tta === 'flip') evaluation.push({ kind: 'mirror' });
  return { train, evaluation };
}

/** The set with `view` applied to every image (the set itself for the original). */
export function viewOf(set: ImageSet, view: ImageView): ImageSet {
  if (view.kind === 'original') return set;
  const images = new Uint8Array(set.count * PIXELS_PER_IMAGE);
  const rng = view.kind === 'crop' ? mulberry32(view.seed) : null;
  for (let i = 0; i < set.count; i++) {
    const draw =
      view.kind === 'mirror'
        ? { flip: true, dx: 0, dy: 0 }
        : drawAugmentation(rng!, { flip: view.flip, crop: true, pad: view.pad });
    const pad = view.kind === 'crop' ? view.pad : 0;
    const src = set.images.subarray(i * PIXELS_PER_IMAGE, (i + 1) * PIXELS_PER_IMAGE);
    writeAugmented(src, images, i * PIXELS_PER_IMAGE, draw, pad);
  }
  return { ...set, images };
}
