import { CHANNELS, IMAGE_SIZE } from './cifar10-files.ts';
import { randomInt } from './random.ts';

export interface AugmentOptions {
  /** Random horizontal flip with probability ½. */
  flip?: boolean;
  /** Random crop back to 32×32 after zero-padding by `pad` pixels. */
  crop?: boolean;
  /** Padding for the crop (default 4). */
  pad?: number;
}

interface AugmentDraw {
  flip: boolean;
  /** Top-left of the crop in the padded image: 0..2·pad (pad = no shift). */
  dx: number;
  dy: number;
}

/** The per-image random choices, drawn in a fixed order so a seed reproduces them. */
export function drawAugmentation(rng: () => number, opts: AugmentOptions): AugmentDraw {
  const pad = opts.pad ?? 4;
  const flip = opts.flip ? rng() < 0.5 : false;
  const dx = opts.crop ? randomInt(rng, 2 * pad + 1) : pad;
  const dy = opts.crop ? randomInt(rng, 2 * pad + 1) : pad;
  return { flip, dx, dy };
}

/**
 * Writes one 32×32×3 HWC image, cropped at (dx, dy) from its zero-padded version and then mirrored when
 * `flip`, into `dst` at `offset`.
 */
export function writeAugmented(
  src: Uint8Array,
  dst: { [i: number]: number },
  offset: number,
  draw: AugmentDraw,
  pad = 4,
): void {
  const size = IMAGE_SIZE;
  for (let y = 0; y < size; y++) {
    const sy = y + draw.dy - pad;
    for (let x = 0; x < size; x++) {
      const o = offset + (y * size + x) * CHANNELS;
      const sx = (draw.flip ? size - 1 - x : x) + draw.dx - pad;
      if (sy < 0 || sy >= size || sx < 0 || sx >= size) {
        dst[o] = 0;
        dst[o + 1] = 0;
        dst[o + 2] = 0;
      } else {
        const s = (sy * size + sx) * CHANNELS;
        dst[o] = src[s];
        dst[o + 1] = src[s + 1];
        dst[o + 2] = src[s + 2];
      }
    }
  }
}
