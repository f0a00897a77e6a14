// Running the frozen base over images: the one primitive every feature path goes through
// (`extractBatch`: a batch of preprocessed 32×32 images → pooled features at one input size), and the
// split-level loop on top of it that fills a [views × count, dim] matrix, joining the sizes column-wise.
// A faster engine replaces what `createExtractor` builds and `extractBatch` runs; nothing else changes.
import * as tf from '@tensorflow/tfjs';
import { batches, type ImageSet, type PreprocessMode } from '../data/index.ts';
import { foldBatchNorm, type InferenceModel } from '../models/index.ts';
import type { OnnxForward } from '../onnx/index.ts';
import type { SizeFeatures } from './feature-models.ts';
import type { ForwardEngines } from './forward-engine.ts';
import { viewOf, type ImageView } from './feature-views.ts';

/** Images per extraction call (the estimate times calls of this size). */
export const FEATURE_BATCH = 64;

/** The frozen base at one input size, ready for inference: on ONNX Runtime where it opened, else tfjs. */
export interface Extractor {
  size: number;
  dim: number;
  engine: { onnx: OnnxForward } | { tfjs: InferenceModel };
}

/**
 * ONNX Runtime through the run's engines (the base exported from its live weights; preprocessing stays
 * in the batch pipeline), else an inference-only tfjs copy with BatchNorm folded into the convolutions.
 * `record: false` opens it without naming the engine in run.json (the estimate times extraction this way).
 */
export async function createExtractor(
  features: SizeFeatures,
  engines?: ForwardEngines,
  { record = true }: { record?: boolean } = {},
): Promise<Extractor> {
  const onnx = !engines
    ? null
    : record
      ? await engines.open('features', features.model)
      : (await engines.choose('features', features.model)).forward;
  return {
    size: features.size,
    dim: features.dim,
    engine: onnx ? { onnx } : { tfjs: foldBatchNorm(features.model) },
  };
}

export async function disposeExtractor(extractor: Extractor): Promise<void> {
  if ('onnx' in extractor.engine) await extractor.engine.onnx.dispose();
  else extractor.engine.tfjs.dispose();
}

/** Pooled features [n, dim] of a batch of preprocessed 32×32 images [n, 32, 32, 3] (inference mode). */
async function extractBatch(extractor: Extractor, x: tf.Tensor4D): Promise<Float32Array> {
  const { engine } = extractor;
  if ('onnx' in engine) {
    const [out] = await engine.onnx.run({ data: x.dataSync() as Float32Array, shape: x.shape });
    return out!.data as Float32Array;
  }
  const out = tf.tidy(() => engine.tfjs.apply(x, { training: false }) as tf.Tensor);
  // Read outside tidy: tidy walks a returned typed array element by element looking for tensors.
  const values = out.dataSync() as Float32Array;
  out.dispose();
  return values;
}

interface SplitRequest {
  set: ImageSet;
  views: ImageView[];
  preprocess: PreprocessMode;
  numClasses: number;
  shouldStop: () => boolean;
  /** Images done so far, over every view and size. */
  onProgress: (done: number, total: number) => void;
}

/**
 * Features of every image of a split, for each view (flipped, cropped copies) and every extractor's
 * size: row v·count + i holds view v of image i, the sizes' features side by side in `extractors`'
 * order. Null when a stop was requested midway.
 */
export async function extractSplit(extractors: Extractor[], request: SplitRequest): Promise<Float32Array | null> {
  const { set, views } = request;
  const dim = extractors.reduce((n, e) => n + e.dim, 0);
  const out = new Float32Array(views.length * set.count * dim);
  const total = views.length * extractors.length * set.count;
  let done = 0;
  for (const [v, view] of views.entries()) {
    const images = viewOf(set, view);
    let column = 0;
    for (const extractor of extractors) {
      const stream = batches(images, {
        batchSize: FEATURE_BATCH,
        shuffle: false,
        preprocess: request.preprocess,
        numClasses: request.numClasses,
        prefetch: 1,
      });
      for await (const batch of stream) {
        const values = await extractBatch(extractor, batch.x);
        tf.dispose([batch.x, batch.y]);
        const first = v * set.count + batch.batch * FEATURE_BATCH;
        for (let i = 0; i < batch.labels.length; i++) {
          out.set(values.subarray(i * extractor.dim, (i + 1) * extractor.dim), (first + i) * dim + column);
        }
        done += batch.labels.length;
        request.onProgress(done, total);
        if (request.shouldStop()) return null;
      }
      column += extractor.dim;
    }
  }
  return out;
}
