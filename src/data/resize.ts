import * as tf from '@tensorflow/tfjs';
import { RESIZE_MODES, type ResizeMode } from './modes.ts';

/**
 * Resizes a batch [B, H, W, C] to size×size. bilinear and nearest match TF2's `tf.image.resize`
 * (half-pixel centres); pad places the image centred on a zero canvas (black, when applied before
 * preprocessing). Returns a new tensor.
 */
export function resizeBatch(x: tf.Tensor4D, size: number | [number, number], mode: ResizeMode): tf.Tensor4D {
  const [height, width] = typeof size === 'number' ? [size, size] : size;
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new Error(`resize size must be positive integers, got ${height}×${width}`);
  }
  const [, h, w] = x.shape;
  if (h === height && w === width) return x.clone();
  switch (mode) {
    case 'bilinear':
      return tf.image.resizeBilinear(x, [height, width], false, true);
    case 'nearest':
      return tf.image.resizeNearestNeighbor(x, [height, width], false, true);
    case 'pad': {
      if (height < h || width < w) throw new Error(`pad cannot shrink ${h}×${w} to ${height}×${width}`);
      const top = Math.floor((height - h) / 2);
      const left = Math.floor((width - w) / 2);
      return tf.pad(x, [
        [0, 0],
        [top, height - h - top],
        [left, width - w - left],
        [0, 0],
      ]);
    }
    default:
      throw new Error(`unknown resize mode "${mode as string}"; expected one of ${RESIZE_MODES.join(', ')}`);
  }
}
