import type { Batch } from './engine/session.ts';
import type { OnnxForward } from './forward.ts';

export interface CollectOptions {
  /** Images the batches hold in all (the result has total × dim values). */
  total: number;
  /** Which of the forward's outputs to keep (default the first). */
  output?: number;
  shouldStop?: () => boolean;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Runs every batch through an ONNX Runtime forward and concatenates one output's rows into a
 * [total, dim] matrix (feature extraction, evaluation logits); null when a stop was requested
 * midway. `dim` is taken from the first batch.
 */
export async function collectOutputs(
  forward: OnnxForward,
  batches: AsyncIterable<Batch> | Iterable<Batch>,
  opts: CollectOptions,
): Promise<{ values: Float32Array; dim: number } | null> {
  let values: Float32Array | null = null;
  let dim = 0;
  let done = 0;
  for await (const batch of batches) {
    const n = batch.shape[0]!;
    const out = (await forward.run(batch))[opts.output ?? 0]!;
    if (!values) {
      dim = out.data.length / n;
      values = new Float32Array(opts.total * dim);
    }
    if (done + n > opts.total)
      throw new Error(`collectOutputs: batches hold more than the ${opts.total} images announced`);
    values.set(out.data, done * dim);
    done += n;
    opts.onProgress?.(done, opts.total);
    if (opts.shouldStop?.()) return null;
  }
  if (done !== opts.total) throw new Error(`collectOutputs: batches held ${done} images, ${opts.total} announced`);
  return { values: values ?? new Float32Array(0), dim };
}
