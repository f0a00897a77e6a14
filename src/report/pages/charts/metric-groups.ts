import type { HistoryEntry } from '../../../run/record.ts';

/** One line chart: the series it overlays and how they are labelled. */
export interface MetricGroup {
  id: string;
  title: string;
  yTitle: string;
  per: 'epoch' | 'step';
  yFormat?: string;
  /** Series keys (see RunEvents) with the split they show and the run.json history field to fall back on. */
  keys: { key: string; split: string; history?: keyof HistoryEntry }[];
}

const step = (
  id: string,
  title: string,
  yTitle: string,
  key: string,
  split: string,
  yFormat?: string,
): MetricGroup => ({ id, title, yTitle, per: 'step', yFormat, keys: [{ key, split }] });

/** The charts of run and compare pages, in page order; a chart without data is left out. */
export const METRIC_GROUPS: MetricGroup[] = [
  {
    id: 'accuracy',
    title: 'Accuracy per epoch',
    yTitle: 'accuracy',
    per: 'epoch',
    yFormat: '.0%',
    keys: [
      { key: 'train/epoch_accuracy', split: 'train', history: 'trainAccuracy' },
      { key: 'validation/epoch_accuracy', split: 'validation', history: 'valAccuracy' },
    ],
  },
  {
    id: 'loss',
    title: 'Loss per epoch',
    yTitle: 'loss',
    per: 'epoch',
    keys: [
      { key: 'train/epoch_loss', split: 'train', history: 'trainLoss' },
      { key: 'validation/epoch_loss', split: 'validation', history: 'valLoss' },
    ],
  },
  step('batch_loss', 'Training loss per optimizer step', 'loss', 'train/batch_loss', 'train'),
  step('batch_accuracy', 'Training accuracy per optimizer step', 'accuracy', 'train/batch_accuracy', 'train', '.0%'),
  step(
    'eval_accuracy',
    'Validation accuracy vs iterations',
    'accuracy',
    'validation/evaluation_accuracy_vs_iterations',
    'validation',
    '.0%',
  ),
  step('eval_loss', 'Validation loss vs iterations', 'loss', 'validation/evaluation_loss_vs_iterations', 'validation'),
  {
    id: 'learning_rate',
    title: 'Learning rate',
    yTitle: 'learning rate',
    per: 'epoch',
    yFormat: '.2~e',
    keys: [{ key: 'train/epoch_learning_rate', split: 'train', history: 'learningRate' }],
  },
  {
    id: 'throughput',
    title: 'Training throughput',
    yTitle: 'images / s',
    per: 'epoch',
    keys: [{ key: 'train/epoch_images_per_second', split: 'train', history: 'imagesPerSecond' }],
  },
];
