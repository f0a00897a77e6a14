import * as tf from '@tensorflow/tfjs';
import type { OptimizerSpec } from '../experiment/definition.ts';

/** Builds the optimizer a definition names, with Keras' default hyperparameters where it is silent. */
export function createOptimizer(spec: OptimizerSpec): tf.Optimizer {
  const lr = spec.learningRate;
  switch (spec.name) {
    case 'adam':
      return tf.train.adam(lr, spec.beta1 ?? 0.9, spec.beta2 ?? 0.999, spec.epsilon ?? 1e-7);
    case 'rmsprop':
      return tf.train.rmsprop(lr, spec.rho ?? 0.9, spec.momentum ?? 0, spec.epsilon ?? 1e-7);
    case 'sgd':
      return spec.momentum ? tf.train.momentum(lr, spec.momentum) : tf.train.sgd(lr);
  }
}

/** The learning rate for optimizer iteration `step` (0-based) of a run of `totalSteps`. */
export function learningRateAt(spec: OptimizerSpec, step: number, stepsPerEpoch: number, totalSteps: number): number {
  const base = spec.learningRate;
  const schedule = spec.schedule;
  if (!schedule) return base;
  const epoch = step / Math.max(1, stepsPerEpoch);
  switch (schedule.kind) {
    case 'cosine': {
      const warmup = schedule.warmupEpochs * stepsPerEpoch;
      if (step < warmup) return (base * (step + 1)) / warmup;
      const span = Math.max(1, totalSteps - warmup);
      const progress = Math.min(1, (step - warmup) / span);
      return schedule.minLearningRate + 0.5 * (base - schedule.minLearningRate) * (1 + Math.cos(Math.PI * progress));
    }
    case 'step':
      return base * schedule.factor ** Math.floor(epoch / schedule.everyEpochs);
    case 'exponential':
      return base * schedule.ratePerEpoch ** epoch;
  }
}

/** tfjs optimizers read their learning rate field on every update; SGD exposes a setter. */
export function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  const target = optimizer as unknown as { setLearningRate?: (lr: number) => void; learningRate: number };
  if (typeof target.setLearningRate === 'function') target.setLearningRate(lr);
  else target.learningRate = lr;
}
