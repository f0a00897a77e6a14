import * as tf from '@tensorflow/tfjs';
import { resizeBatch } from '../../data/resize.ts';
import { RESIZE_MODES, type ResizeMode } from '../../data/modes.ts';

interface UpSampleArgs {
  /** Output height and width in pixels. */
  size: number;
  /**
   * `bilinear` / `nearest`: `tf.image.resize` with half-pixel centres (TF2's default);
   * `pad`: the image unchanged, centred on a zero canvas of the target size.
   */
  mode?: ResizeMode;
  name?: string;
  trainable?: boolean;
  inputShape?: number[];
  batchInputShape?: (number | null)[];
  dtype?: 'float32';
}

/**
 * Resizes an NHWC batch (CIFAR-10's 32×32) to the base model's input size inside the model,
 * so a saved classifier takes raw-size images like the one that was trained.
 */
export class UpSample extends tf.layers.Layer {
  static className = 'UpSample';
  readonly size: number;
  readonly mode: ResizeMode;

  constructor(args: UpSampleArgs) {
    super(args);
    if (!Number.isInteger(args.size) || args.size < 1) {
      throw new Error(`UpSample: size must be a positive integer, got ${String(args.size)}`);
    }
    const mode = args.mode ?? 'bilinear';
    if (!RESIZE_MODES.includes(mode)) {
      throw new Error(`UpSample: mode must be one of ${RESIZE_MODES.join(', ')}, got ${String(mode)}`);
    }
    this.size = args.size;
    this.mode = mode;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    if (this.mode === 'pad') {
      for (const dim of [shape[1], shape[2]]) {
        if (dim != null && dim > this.size) {
          throw new Error(`UpSample: mode 'pad' cannot shrink ${dim} px to ${this.size} px`);
        }
      }
    }
    return [shape[0], this.size, this.size, shape[3]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      return resizeBatch(x, this.size, this.mode);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), size: this.size, mode: this.mode };
  }
}

tf.serialization.registerClass(UpSample);
