// src/train/summaries/: what a run writes to TensorBoard (epoch/batch scalars, HParams, images,
// test report, session end); imports tensorboard/, run/ (layout, record), experiment/ and train/.
// The scalars of the training loop, named as Keras' TensorBoard callback names them: batch_* in the
// train sub-run at step = optimizer iteration, epoch_* in both sub-runs at step = epoch.
// src/train/summaries/ holds everything a run writes for TensorBoard beyond these scalars' values:
// the HParams session and experiment, the session-end file, the test report and its images.
import type { EpochHistory } from '../../run/record.ts';
import type { SummaryWriter } from '../../tensorboard/index.ts';

export function writeBatchSummaries(
  train: SummaryWriter,
  running: { loss: number; accuracy: number },
  step: number,
): void {
  train.scalar('batch_loss', running.loss, step);
  train.scalar('batch_accuracy', running.accuracy, step);
}

export function writeEpochSummaries(
  writers: { train: SummaryWriter; validation: SummaryWriter },
  entry: EpochHistory,
  validation: { loss: number; accuracy: number } | null,
): void {
  const { train } = writers;
  train.scalar('epoch_loss', entry.trainLoss, entry.epoch);
  train.scalar('epoch_accuracy', entry.trainAccuracy, entry.epoch);
  train.scalar('epoch_learning_rate', entry.learningRate, entry.epoch);
  train.scalar('epoch_images_per_second', entry.imagesPerSecond, entry.epoch);
  train.scalar('epoch_time_seconds', entry.seconds, entry.epoch);
  if (!validation) return;
  writers.validation.scalar('epoch_loss', validation.loss, entry.epoch);
  writers.validation.scalar('epoch_accuracy', validation.accuracy, entry.epoch);
  writers.validation.scalar('evaluation_loss_vs_iterations', validation.loss, entry.step);
  writers.validation.scalar('evaluation_accuracy_vs_iterations', validation.accuracy, entry.step);
}
