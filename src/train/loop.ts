// The training loop, as a generator of epochs: it owns the loop state (position, running sums, best
// epoch, history) and yields a copy of it after each epoch and when a stop request is honoured; the
// caller (run-experiment.ts) checkpoints, updates run.json and writes the epoch summaries.
import * as tf from '@tensorflow/tfjs';
import { batchCount } from '../data/index.ts';
import type { ExperimentDefinition } from '../experiment/definition.ts';
import type { EpochHistory, RunProgress } from '../run/record.ts';
import type { SummaryWriter } from '../tensorboard/index.ts';
import type { TrainState } from './checkpoint.ts';
import { evaluate, type Evaluation } from './evaluate.ts';
import type { ForwardEngines } from './forward-engine.ts';
import type { BatchSource } from './inputs.ts';
import { learningRateAt } from './optimizer.ts';
import type { TerminalProgress } from './progress-contract.ts';
import type { StopSignal } from './signals.ts';
import type { TimeBudget } from './time-budget.ts';
import type { StepRunner } from './step-runner.ts';
import { writeBatchSummaries } from './summaries/epoch.ts';

interface LoopInput {
  def: ExperimentDefinition;
  /** The optimizer steps of what is trained (the classifier, the part after a frozen prefix, or the head). */
  steps: StepRunner;
  /** What validation evaluates (the whole classifier, which `steps.sync()` brings up to date). */
  evalModel: tf.LayersModel;
  /** The engine of the validation pass (ONNX Runtime on the current weights, or tfjs). */
  engines: ForwardEngines;
  train: BatchSource;
  validation: BatchSource | null;
  numClasses: number;
  /** Augment training batches (never with cached features). */
  augment: boolean;
  evalBatchSize: number;
  /** Where batch_* scalars go. */
  trainWriter: SummaryWriter;
  progress: TerminalProgress;
  stop: StopSignal;
  /** Where training starts (a fresh state or a checkpoint's). */
  start: TrainState;
  /** run.json's heartbeat during the validation pass (which writes no events). */
  heartbeat: (progress: RunProgress) => void;
  /** After every optimizer step, with the new global step (monitoring; tests stop runs midway with it). */
  onStep?: ((globalStep: number) => void) | undefined;
  /** `--time-budget`: no epoch starts that it predicts would not fit. */
  budget?: TimeBudget | null | undefined;
}

interface Timed {
  /** The loop state after the epoch (or where it stopped): what a checkpoint saves. */
  state: TrainState;
  /** Seconds spent training and evaluating since the previous yield. */
  trainSeconds: number;
  evaluateSeconds: number;
}
type EpochResult =
  | (Timed & { stopped: false; entry: EpochHistory; validation: Pick<Evaluation, 'loss' | 'accuracy'> | null })
  | (Timed & { stopped: true });

/**
 * Each epoch visits the training split in an order drawn from (seed, epoch), one optimizer step per
 * batch; every batchLogInterval() steps it logs batch_* (Keras: the running mean over the epoch so far)
 * at step = optimizer iteration; after the epoch it evaluates the validation split. A stop request is
 * honoured between micro-batches (abandoning that step) and during validation, yielding the position
 * of the last finished step so a resume continues there.
 */
export async function* trainEpochs(io: LoopInput): AsyncGenerator<EpochResult, void, undefined> {
  const state = structuredClone(io.start);
  const { epochs, batchSize } = io.def.train;
  const stepsPerEpoch = batchCount(io.train.count, batchSize);
  const lr = { value: NaN };
  while (state.epoch < epochs) {
    const epoch = state.epoch;
    if (io.budget && state.batchInEpoch === 0 && !io.budget.allowsEpoch()) return;
    const epochStart = performance.now();
    io.progress.start(epoch, epochs, stepsPerEpoch, state.batchInEpoch);
    const trainSeconds = await trainOneEpoch(io, state, stepsPerEpoch, lr);
    // Validation and the checkpoint after a yield read the main-thread model and optimizer.
    await io.steps.sync();
    const timed = { trainSeconds, evaluateSeconds: 0 };
    if (io.stop.requested) {
      io.progress.stop(
        `stopping at epoch ${epoch + 1}, batch ${state.batchInEpoch}/${stepsPerEpoch} (step ${state.globalStep})`,
      );
      yield { ...timed, state: structuredClone(state), stopped: true };
      return;
    }
    const evalStart = performance.now();
    const val = io.validation ? await validate(io, io.validation, `epoch ${epoch + 1}/${epochs} validation`) : null;
    timed.evaluateSeconds = (performance.now() - evalStart) / 1000;
    if (io.validation && val === null) {
      io.progress.stop(`stopping during validation of epoch ${epoch + 1} (step ${state.globalStep})`);
      yield { ...timed, state: structuredClone(state), stopped: true };
      return;
    }
    const learningRate = Number.isFinite(lr.value)
      ? lr.value
      : learningRateAt(io.def.optimizer, Math.max(0, state.globalStep - 1), stepsPerEpoch, stepsPerEpoch * epochs);
    const entry = endEpoch(state, val, learningRate);
    io.budget?.epochDone((performance.now() - epochStart) / 1000);
    io.progress.stop(epochLine(entry, epochs, val ? timed.evaluateSeconds : null));
    yield {
      ...timed,
      state: structuredClone(state),
      stopped: false,
      entry,
      validation: val && { loss: val.loss, accuracy: val.accuracy },
    };
  }
}

/** The validation pass after an epoch, with its progress (terminal and run.json); null when stopped midway. */
async function validate(io: LoopInput, validation: BatchSource, label: string): Promise<Evaluation | null> {
  const pass = io.progress.pass(label, validation.count);
  const onProgress = (done: number, total: number) => {
    io.heartbeat({ phase: 'evaluate', split: 'validation', done, total });
    pass.update(done);
  };
  try {
    return await io.engines.pass('validation', io.evalModel, (model) =>
      evaluate(model, validation, io.numClasses, io.evalBatchSize, 0, () => io.stop.requested, onProgress),
    );
  } finally {
    pass.end();
  }
}

/** One pass over the training split from `state.batchInEpoch` (or until a stop); returns its seconds. */
async function trainOneEpoch(io: LoopInput, state: TrainState, stepsPerEpoch: number, lr: { value: number }) {
  const { def, steps } = io;
  const { batchSize, epochs } = def.train;
  const logEvery = batchLogInterval(def.train.logEveryBatches, stepsPerEpoch);
  const sums = state.epochSums;
  const stream = io.train.stream({
    batchSize,
    epoch: state.epoch,
    startBatch: state.batchInEpoch,
    shuffle: true,
    augment: io.augment,
  });
  let seconds = 0;
  let stepStart = performance.now();
  for await (const batch of stream) {
    if (io.stop.requested) {
      tf.dispose([batch.x, batch.y]);
      await stream.return(undefined);
      break;
    }
    lr.value = learningRateAt(def.optimizer, state.globalStep, stepsPerEpoch, stepsPerEpoch * epochs);
    const result = await steps.step(batch.x, batch.y, lr.value, () => io.stop.requested);
    tf.dispose([batch.x, batch.y]);
    if (result === null) {
      await stream.return(undefined);
      break;
    }
    if (!Number.isFinite(result.loss))
      throw new Error(`training diverged: loss is ${result.loss} at step ${state.globalStep + 1}`);

    const stepSeconds = (performance.now() - stepStart) / 1000;
    seconds += stepSeconds;
    sums.seconds += stepSeconds;
    sums.loss += result.loss * result.count;
    sums.correct += result.correct;
    sums.seen += result.count;
    state.globalStep++;
    state.batchInEpoch++;
    state.trainImages += result.count;
    const running = { loss: sums.loss / sums.seen, accuracy: sums.correct / sums.seen };
    if (state.globalStep % logEvery === 0) writeBatchSummaries(io.trainWriter, running, state.globalStep);
    io.progress.update({ batch: state.batchInEpoch, ...running, imagesPerSecond: sums.seen / sums.seconds });
    io.onStep?.(state.globalStep);
    stepStart = performance.now();
  }
  return seconds;
}

/**
 * Steps between batch_* points: `logEveryBatches`, but at least four points per epoch, so a short
 * run (fewer steps than the interval) still draws a curve.
 */
function batchLogInterval(logEveryBatches: number, stepsPerEpoch: number): number {
  return Math.max(1, Math.min(logEveryBatches, Math.ceil(stepsPerEpoch / 4)));
}

/** The epoch's history entry; the state moves to the start of the next epoch. */
function endEpoch(state: TrainState, val: Evaluation | null, learningRate: number): EpochHistory {
  const sums = state.epochSums;
  const epoch = state.epoch;
  const entry: EpochHistory = {
    epoch,
    step: state.globalStep,
    wallTime: Date.now() / 1000,
    trainLoss: sums.loss / Math.max(1, sums.seen),
    trainAccuracy: sums.correct / Math.max(1, sums.seen),
    valLoss: val?.loss ?? null,
    valAccuracy: val?.accuracy ?? null,
    learningRate,
    imagesPerSecond: sums.seconds > 0 ? sums.seen / sums.seconds : 0,
    seconds: sums.seconds,
  };
  if (val && (!state.best || val.accuracy > state.best.valAccuracy)) {
    state.best = { epoch, valAccuracy: val.accuracy, valLoss: val.loss };
  }
  state.history.push(entry);
  state.epochSums = { loss: 0, correct: 0, seen: 0, seconds: 0 };
  state.batchInEpoch = 0;
  state.epoch = epoch + 1;
  return entry;
}

/** The epoch's summary; its time is the training's and the validation pass's ("train 41.2 s + validation 6.3 s"). */
function epochLine(entry: EpochHistory, epochs: number, validationSeconds: number | null): string {
  const val =
    entry.valLoss === null ? '' : ` · val_loss ${entry.valLoss.toFixed(4)} · val_acc ${entry.valAccuracy!.toFixed(4)}`;
  const validation = validationSeconds === null ? '' : ` + validation ${validationSeconds.toFixed(1)} s`;
  return (
    `epoch ${entry.epoch + 1}/${epochs}: loss ${entry.trainLoss.toFixed(4)} · acc ${entry.trainAccuracy.toFixed(4)}` +
    `${val} · ${entry.imagesPerSecond.toFixed(1)} img/s · train ${entry.seconds.toFixed(1)} s${validation}`
  );
}
