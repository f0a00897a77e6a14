// Weight histograms as Keras' TensorBoard callback writes them with histogram_freq > 0 (TF 2.x
// Keras, `_log_weights`): one histogram per weight of every layer, trainable or not (the real
// files hold batch_normalization/moving_mean_0 too), tag = the variable name with ':' made '_'
// (`dense_20/kernel:0` → `dense_20/kernel_0`), step = the epoch, in the `train/` writer.
import type { SummaryWriter } from './summary-writer.ts';

export interface NamedWeight {
  /**
   * `<layer name>/<weight>`: tfjs' LayerVariable.originalName (its `name` gets a process-wide
   * uniqueness suffix, `dense_1/kernel_2`), or TF's `layer/weight:0`.
   */
  name: string;
  values: ArrayLike<number>;
}

/** The tag Keras gives a variable's histogram; tfjs names lack TF's `:0` output index. */
export function kerasWeightHistogramTag(variableName: string): string {
  return variableName.includes(':') ? variableName.replace(/:/g, '_') : `${variableName}_0`;
}

/** Writes one histogram per weight at `step` (the epoch); returns the tags written. */
export function writeWeightHistograms(writer: SummaryWriter, weights: NamedWeight[], step: number): string[] {
  const tags: string[] = [];
  for (const w of weights) {
    const tag = kerasWeightHistogramTag(w.name);
    writer.histogram(tag, w.values, step);
    tags.push(tag);
  }
  return tags;
}
