import * as tf from '@tensorflow/tfjs';
import { batchCount } from '../data/index.ts';
import type { SummaryWriter } from '../tensorboard/index.ts';
import type { BatchSource } from './batch-source.ts';
import type { TrainState } from './checkpoint.ts';
import type { ExperimentDefinition } from '../experiment/definition.ts';
import { evaluate } from './evaluate.ts';
import { learningRateAt, setLearningRate } from './optimizer.ts';
import type { EpochProgress } from './progress.ts';
import type { EpochHistory } from '../run/record.ts';
import type { StopSignal } from './signals.ts';
import { trainStep } from './step.ts';

export interface LoopInput {
  def: ExperimentDefinition;
  /** What is trained: the whole classifier, or only its head on cached features. */
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  train: BatchSource;
  validation: BatchSource | null;
  numClasses: number;
  /** Augment training batches (never with cached features). */
  augment: boolean;
  /** Evaluation batch size. */
  evalBatchSize: number;
  writers: { train: SummaryWriter; validation: SummaryWriter };
  progress: EpochProgress;
  stop: StopSignal;
  /** Mutated as training goes; saved by the callbacks. */
  state: TrainState;
  /** Seconds spent training and evaluating, added to run.json's phases. */
  clock: { train: number; evaluate: number };
  /** After every epoch (checkpoint + run.json). */
  onEpochEnd: (entry: EpochHistory) => Promise<void>;
  /** On a stop request: checkpoint where the loop stands. */
  onStop: () => Promise<void>;
  /** After every optimizer step, with the new global step. */
  onStep?: (globalStep: number) => void;
  /** During the validation pass after each epoch (which writes no events): images evaluated so far. */
  onValidationProgress?: (done: number, total: number) => void;
}

/**
 * The training loop. Each epoch visits the training split in an order drawn from (seed, epoch),
 * one optimizer step per batch; every `logEveryBatches` steps it logs batch_* (Keras: the running
 * mean over the epoch so far) at step = optimizer iteration; after the epoch it evaluates the
 * validation split and logs the epoch_* scalars at step = epoch. A stop request is honoured between
 * steps, with the position saved so a resume continues at the next batch.
 */
export async function trainLoop(io: LoopInput): Promise<'completed' | 'interrupted'> {
  const { def, model, optimizer, state, writers, progress } = io;
  const { epochs, batchSize, logEveryBatches } = def.train;
  const microBatch = def.train.microBatch ?? batchSize;
  const stepsPerEpoch = batchCount(io.train.count, batchSize);
  const totalSteps = stepsPerEpoch * epochs;
  let lr = NaN;

  while (state.epoch < epochs) {
    const epoch = state.epoch;
    const sums = state.epochSums;
    progress.start(epoch, epochs, stepsPerEpoch, state.batchInEpoch);
    const stream = io.train.stream({ batchSize, epoch, startBatch: state.batchInEpoch, shuffle: true, augment: io.augment });
    let stepStart = performance.now();
    for await (const batch of stream) {
      if (io.stop.requested) {
        tf.dispose([batch.x, batch.y]);
        await stream.return(undefined);
        break;
      }
      const stepLr = learningRateAt(def.optimizer, state.globalStep, stepsPerEpoch, totalSteps);
      if (stepLr !== lr) setLearningRate(optimizer, (lr = stepLr));
      const result = trainStep(model, optimizer, batch.x, batch.y, microBatch);
      tf.dispose([batch.x, batch.y]);
      if (!Number.isFinite(result.loss)) throw new Error(`training diverged: loss is ${result.loss} at step ${state.globalStep + 1}`);

      const seconds = (performance.now() - stepStart) / 1000;
      io.clock.train += seconds;
      sums.seconds += seconds;
      sums.loss += result.loss * result.count;
      sums.correct += result.correct;
      sums.seen += result.count;
      state.globalStep++;
      state.batchInEpoch++;
      state.trainImages += result.count;
      const runningLoss = sums.loss / sums.seen;
      const runningAccuracy = sums.correct / sums.seen;
      if (state.globalStep % logEveryBatches === 0) {
        writers.train.scalar('batch_loss', runningLoss, state.globalStep);
        writers.train.scalar('batch_accuracy', runningAccuracy, state.globalStep);
      }
      progress.update({ batch: state.batchInEpoch, loss: runningLoss, accuracy: runningAccuracy, imagesPerSecond: sums.seen / sums.seconds });
      io.onStep?.(state.globalStep);
      stepStart = performance.now();
    }
    if (io.stop.requested) {
      progress.stop(`stopping at epoch ${epoch + 1}, batch ${state.batchInEpoch}/${stepsPerEpoch} (step ${state.globalStep})`);
      await io.onStop();
      return 'interrupted';
    }

    const evalStart = performance.now();
    const val = io.validation
      ? await evaluate(model, io.validation, io.numClasses, io.evalBatchSize, 0, () => io.stop.requested, io.onValidationProgress)
      : null;
    io.clock.evaluate += (performance.now() - evalStart) / 1000;
    if (io.validation && val === null) {
      progress.stop(`stopping during validation of epoch ${epoch + 1} (step ${state.globalStep})`);
      await io.onStop();
      return 'interrupted';
    }

    const entry: EpochHistory = {
      epoch,
      step: state.globalStep,
      wallTime: Date.now() / 1000,
      trainLoss: sums.loss / Math.max(1, sums.seen),
      trainAccuracy: sums.correct / Math.max(1, sums.seen),
      valLoss: val?.loss ?? null,
      valAccuracy: val?.accuracy ?? null,
      learningRate: Number.isFinite(lr) ? lr : learningRateAt(def.optimizer, Math.max(0, state.globalStep - 1), stepsPerEpoch, totalSteps),
      imagesPerSecond: sums.seconds > 0 ? sums.seen / sums.seconds : 0,
      seconds: sums.seconds,
    };
    writers.train.scalar('epoch_loss', entry.trainLoss, epoch);
    writers.train.scalar('epoch_accuracy', entry.trainAccuracy, epoch);
    writers.train.scalar('epoch_learning_rate', entry.learningRate, epoch);
    writers.train.scalar('epoch_images_per_second', entry.imagesPerSecond, epoch);
    writers.train.scalar('epoch_time_seconds', entry.seconds, epoch);
    if (val) {
      writers.validation.scalar('epoch_loss', val.loss, epoch);
      writers.validation.scalar('epoch_accuracy', val.accuracy, epoch);
      writers.validation.scalar('evaluation_loss_vs_iterations', val.loss, state.globalStep);
      writers.validation.scalar('evaluation_accuracy_vs_iterations', val.accuracy, state.globalStep);
      if (!state.best || val.accuracy > state.best.valAccuracy) state.best = { epoch, valAccuracy: val.accuracy, valLoss: val.loss };
    }
    state.history.push(entry);
    progress.stop(
      `epoch ${epoch + 1}/${epochs}: loss ${entry.trainLoss.toFixed(4)} · acc ${entry.trainAccuracy.toFixed(4)}` +
        (val ? ` · val_loss ${val.loss.toFixed(4)} · val_acc ${val.accuracy.toFixed(4)}` : '') +
        ` · ${entry.imagesPerSecond.toFixed(1)} img/s · ${entry.seconds.toFixed(1)} s`,
    );
    state.epochSums = { loss: 0, correct: 0, seen: 0, seconds: 0 };
    state.batchInEpoch = 0;
    state.epoch = epoch + 1;
    await io.onEpochEnd(entry);
  }
  return 'completed';
}
