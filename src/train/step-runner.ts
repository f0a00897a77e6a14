// How the loop takes its optimizer steps: in this thread (trainStep), or split over data-parallel wasm
// workers (parallel/). With workers, the main-thread model and optimizer are mirrors of the replicas,
// brought up to date (sync) before anything reads them: validation, histograms, checkpoints, the test set.
import * as tf from '@tensorflow/tfjs';
import type { OptimizerSpec } from '../experiment/definition.ts';
import { setLearningRate } from './optimizer.ts';
import type { ModelSpec } from './parallel/model-spec.ts';
import type { OptimizerWeight } from './parallel/protocol.ts';
import { DataParallelTrainer } from './parallel/trainer.ts';
import { trainStep, type StepResult } from './step.ts';

export interface StepRunner {
  readonly workers: number;
  readonly microBatch: number;
  /** One optimizer step at `learningRate`; null when `shouldStop` turned true between micro-batches (no update). */
  step(
    x: tf.Tensor | tf.Tensor[],
    y: tf.Tensor2D,
    learningRate: number,
    shouldStop: () => boolean,
  ): Promise<StepResult | null>;
  /** The main-thread model (weights, batch-norm statistics) and optimizer state as of the last step. */
  sync(): Promise<void>;
  /** The wasm heap of each engine that takes the steps (the process RSS off wasm): the bench's heap column. */
  heaps(): Promise<number[]>;
  dispose(): Promise<void>;
}

export function inProcessSteps(model: tf.LayersModel, optimizer: tf.Optimizer, microBatch: number): StepRunner {
  let current = NaN;
  return {
    workers: 1,
    microBatch,
    step(x, y, learningRate, shouldStop) {
      if (learningRate !== current) setLearningRate(optimizer, (current = learningRate));
      return trainStep(model, optimizer, x, y, microBatch, shouldStop);
    },
    sync: async () => {},
    heaps: async () => [heapBytes()],
    dispose: async () => {},
  };
}

interface ParallelOptions {
  workers: number;
  /** The main-thread model: the replicas' initial weights (a resumed run's are the checkpoint's). */
  model: tf.LayersModel;
  /** The main-thread optimizer: its state (a resumed run's) goes to every replica; checkpoints save it. */
  optimizer: tf.Optimizer;
  spec: ModelSpec;
  optimizerSpec: OptimizerSpec;
  maxBatch: number;
  microBatch: number;
}

export async function parallelSteps(o: ParallelOptions): Promise<StepRunner> {
  const trainer = await DataParallelTrainer.create({
    workers: o.workers,
    model: o.model,
    modelSpec: o.spec,
    optimizerSpec: o.optimizerSpec,
    maxBatch: o.maxBatch,
  });
  try {
    await trainer.setOptimizerState(await optimizerWeights(o.optimizer));
  } catch (error) {
    await trainer.dispose();
    throw error;
  }
  return {
    workers: o.workers,
    microBatch: o.microBatch,
    step(x, y, learningRate, shouldStop) {
      return trainer.stoppableStep(x as tf.Tensor, y, o.microBatch, { learningRate, shouldStop });
    },
    async sync() {
      const weights = await trainer.weights();
      o.model.setWeights(weights);
      tf.dispose(weights);
      await replaceOptimizerState(o.optimizer, await trainer.optimizerState());
    },
    heaps: async () => (await trainer.memory()).map((m) => m.heapBytes),
    dispose: () => trainer.dispose(),
  };
}

function heapBytes(): number {
  const wasm = (tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } }).wasm;
  return wasm ? wasm.HEAPU8.length : process.memoryUsage().rss;
}

/** The optimizer's state as plain arrays (its iteration count first, as tfjs' getWeights orders it). */
async function optimizerWeights(optimizer: tf.Optimizer): Promise<OptimizerWeight[]> {
  const named = await optimizer.getWeights();
  const state = named.map(({ name, tensor }) => ({
    name,
    shape: tensor.shape,
    values: tensor.dataSync() as Float32Array,
  }));
  // getWeights makes a fresh scalar for the iteration count; the rest are the optimizer's own variables.
  for (const { tensor } of named) if (!(tensor instanceof tf.Variable)) tensor.dispose();
  return state;
}

/** tfjs' setWeights makes new variables and drops the old ones without disposing them: they are disposed here. */
async function replaceOptimizerState(optimizer: tf.Optimizer, state: OptimizerWeight[]): Promise<void> {
  const previous = await optimizer.getWeights();
  const tensors = state.map(({ name, shape, values }) => ({ name, tensor: tf.tensor(values, shape) }));
  await optimizer.setWeights(tensors);
  tf.dispose([...tensors.map((t) => t.tensor), ...previous.map((p) => p.tensor)]);
}
