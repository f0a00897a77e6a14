// LP-FT (Kumar et al., "Fine-Tuning can Distort Pretrained Features", ICLR 2022): before every layer
// trains, the new head is fitted alone on the cached features of the pretrained base, so the first
// fine-tuning steps do not push a random head's large gradients into pretrained weights. The head's
// layers are the classifier's own: fine-tuning starts from the probed head.
import * as tf from '@tensorflow/tfjs';
import { createOptimizer } from './optimizer.ts';
import { evaluate } from './evaluate.ts';
import type { TrainingInputs } from './inputs.ts';
import { trainStep } from './step.ts';

/** Keras' Adam defaults: a probe on cached features needs no tuning of its own. */
const PROBE_OPTIMIZER = { name: 'adam', learningRate: 1e-3 } as const;
const PROBE_BATCH = 128;

export interface ProbeResult {
  epochs: number;
  /** Validation accuracy of the probed head on the base's features (null without a validation split). */
  valAccuracy: number | null;
}

/** `epochs` of the head alone on cached features; null when a stop came midway. */
export async function linearProbe(
  inputs: TrainingInputs,
  epochs: number,
  numClasses: number,
  shouldStop: () => boolean,
): Promise<ProbeResult | null> {
  const optimizer = createOptimizer(PROBE_OPTIMIZER);
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      for await (const batch of inputs.sources.train.stream({ batchSize: PROBE_BATCH, epoch, shuffle: true })) {
        const result = await trainStep(inputs.model, optimizer, batch.x, batch.y, PROBE_BATCH, shouldStop);
        tf.dispose([batch.x, batch.y]);
        if (result === null) return null;
      }
    }
  } finally {
    optimizer.dispose();
  }
  const { validation } = inputs.sources;
  const scored = validation ? await evaluate(inputs.model, validation, numClasses, inputs.evalBatchSize) : null;
  return { epochs, valAccuracy: scored?.accuracy ?? null };
}
