import * as tf from '@tensorflow/tfjs';
import { forwardBatch, type PassForward } from './forward-engine.ts';
import type { BatchSource } from './inputs.ts';
import { crossEntropy } from './step.ts';

export interface Evaluation {
  loss: number;
  accuracy: number;
  count: number;
  /** confusion[true][predicted] */
  confusion: number[][];
  /** The first `keepPredictions` examples: their index in the split, predicted class and its probability. */
  predictions: { index: number; predicted: number; confidence: number }[];
}

/** The mean of each image's predictions over its views: [views × n, C] (view-major) → [n, C]. */
export function averageViews(probs: tf.Tensor2D, views: number): tf.Tensor2D {
  if (views === 1) return probs;
  const [rows, classes] = probs.shape;
  return tf.tidy(() => tf.mean(tf.reshape(probs, [views, rows / views, classes]), 0) as tf.Tensor2D);
}

/**
 * Loss, accuracy and confusion matrix in inference mode; null when `shouldStop` turns true midway.
 * A batch with several views of each image (test-time augmentation) is scored on their mean softmax.
 */
export async function evaluate(
  model: PassForward,
  source: BatchSource,
  numClasses: number,
  batchSize: number,
  keepPredictions = 0,
  shouldStop: () => boolean = () => false,
  onProgress?: (done: number, total: number) => void,
): Promise<Evaluation | null> {
  const confusion = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  const predictions: Evaluation['predictions'] = [];
  let lossSum = 0;
  let correct = 0;
  let done = 0;
  for await (const batch of source.stream({ batchSize, epoch: 0, shuffle: false })) {
    const raw = await forwardBatch(model, batch.x);
    const [p, l] = tf.tidy(() => {
      const p = averageViews(raw as tf.Tensor2D, batch.views ?? 1);
      return [p, crossEntropy(batch.y, p, -1)];
    });
    if (raw !== p) raw.dispose();
    const probs = p.dataSync() as Float32Array;
    const losses = l.dataSync() as Float32Array;
    tf.dispose([p, l, batch.x, batch.y]);
    for (let i = 0; i < batch.labels.length; i++) {
      let best = 0;
      for (let c = 1; c < numClasses; c++) if (probs[i * numClasses + c]! > probs[i * numClasses + best]!) best = c;
      const label = batch.labels[i]!;
      confusion[label]![best]!++;
      if (best === label) correct++;
      lossSum += losses[i]!;
      if (predictions.length < keepPredictions) {
        predictions.push({ index: batch.indices[i]!, predicted: best, confidence: probs[i * numClasses + best]! });
      }
    }
    done += batch.labels.length;
    onProgress?.(done, source.count);
    if (shouldStop()) return null;
  }
  const count = source.count;
  return {
    loss: count ? lossSum / count : NaN,
    accuracy: count ? correct / count : NaN,
    count,
    confusion,
    predictions,
  };
}

export function perClassAccuracy(confusion: number[][], classNames: string[]): Record<string, number> {
  return Object.fromEntries(
    confusion.map((row, c) => {
      const total = row.reduce((a, b) => a + b, 0);
      return [classNames[c]!, total ? row[c]! / total : 0];
    }),
  );
}
