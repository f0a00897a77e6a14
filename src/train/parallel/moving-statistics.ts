import * as tf from '@tensorflow/tfjs';
import { FreezableBatchNormalization } from '../../models/layers/freezable-batch-norm.ts';

interface Slot {
  layer: FreezableBatchNormalization;
  /** Offset of its mean in a micro-batch's statistics; the variance follows. */
  offset: number;
  channels: number;
  /** Calls during the current step (= the worker's micro-batches so far). */
  calls: number;
}

/** Every BatchNormalization layer of a model, nested models included, in a fixed order. */
function batchNormLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.flatMap((l) =>
    l instanceof tf.LayersModel ? batchNormLayers(l) : l.getClassName() === 'BatchNormalization' ? [l] : [],
  );
}

/**
 * Batch-norm moving statistics under data parallelism, merged so that every replica ends a step
 * with exactly the values one process gets from the same micro-batch split.
 *
 * A single process applies moving ← moving − (moving − sᵢ)·(1 − momentum) once per micro-batch i,
 * in order, with sᵢ that micro-batch's batch mean / unbiased variance. In training mode the forward
 * pass normalises with batch statistics and never reads the moving ones, so deferring the updates
 * to the end of the step changes nothing. Each worker therefore records sᵢ of its micro-batches
 * into slot i of the shared statistics buffer instead of applying it; after the barrier every
 * worker applies all updates for i = 0 … K−1 in order, with the layer's own update function —
 * the same float32 operations, on the same values, in the same order as the single process.
 */
export class DeferredMovingStatistics {
  private readonly slots: Slot[] = [];
  /** Floats per micro-batch slot. */
  readonly floatsPerMicroBatch: number;
  private firstMicroBatch = 0;

  constructor(
    model: tf.LayersModel,
    private readonly shared: Float32Array | null,
  ) {
    let offset = 0;
    for (const layer of batchNormLayers(model)) {
      if (!(layer instanceof FreezableBatchNormalization)) {
        throw new Error(
          `data-parallel training: layer ${layer.name} is tfjs' own BatchNormalization; ` +
            'build the model with freezableBatchNorm (or load it through the serialization registry)',
        );
      }
      const axis = (layer as unknown as { axis: number }).axis;
      if (axis !== -1 && axis !== 3)
        throw new Error(
          `data-parallel training: ${layer.name} normalises axis ${axis}; only channels-last batch norm is supported`,
        );
      if (layer.frozen) continue;
      const channels = (layer as unknown as { movingMean: tf.LayerVariable }).movingMean.shape[0]!;
      const slot: Slot = { layer, offset, channels, calls: 0 };
      this.slots.push(slot);
      offset += 2 * channels;
    }
    this.floatsPerMicroBatch = offset;
    if (shared) for (const slot of this.slots) this.defer(slot);
  }

  private defer(slot: Slot): void {
    const shared = this.shared!;
    slot.layer.updateMovingStatistics = (mean: tf.Tensor, variance: tf.Tensor) => {
      const base = (this.firstMicroBatch + slot.calls) * this.floatsPerMicroBatch + slot.offset;
      shared.set(mean.dataSync() as Float32Array, base);
      shared.set(variance.dataSync() as Float32Array, base + slot.channels);
      slot.calls++;
    };
  }

  /** Starts a step whose first local micro-batch is global micro-batch `firstMicroBatch`. */
  begin(firstMicroBatch: number): void {
    this.firstMicroBatch = firstMicroBatch;
    for (const slot of this.slots) slot.calls = 0;
  }

  /** Checks every trainable BN layer ran once per micro-batch (a layer applied twice would break the slots). */
  finish(microBatches: number): void {
    for (const slot of this.slots) {
      if (slot.calls !== microBatches) {
        throw new Error(
          `data-parallel training: ${slot.layer.name} updated its moving statistics ` +
            `${slot.calls} times in ${microBatches} micro-batches`,
        );
      }
    }
  }

  /** Applies the recorded updates of micro-batches 0 … count−1 in order. */
  replay(count: number): void {
    const shared = this.shared!;
    const update = FreezableBatchNormalization.prototype.updateMovingStatistics;
    for (let i = 0; i < count; i++) {
      const base = i * this.floatsPerMicroBatch;
      for (const { layer, offset, channels } of this.slots) {
        tf.tidy(() => {
          const mean = tf.tensor1d(shared.slice(base + offset, base + offset + channels));
          const variance = tf.tensor1d(shared.slice(base + offset + channels, base + offset + 2 * channels));
          update.call(layer, mean, variance);
        });
      }
    }
  }
}
