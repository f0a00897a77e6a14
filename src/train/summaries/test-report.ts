// After training, once: the test set's loss and accuracy, per-class accuracy, the confusion matrix
// and a grid of sample predictions, as root summaries and as run.json's final figures.
import type { SummaryWriter } from '../../tensorboard/index.ts';
import type { BatchSource, RunData } from '../inputs.ts';
import { evaluate, perClassAccuracy } from '../evaluate.ts';
import type { PassForward } from '../forward-engine.ts';
import {
  classColorLegendMarkdown,
  confusionMatrixImage,
  confusionMatrixMarkdown,
  samplePredictionsImage,
  samplePredictionsMarkdown,
} from './images.ts';
import type { EpochHistory, RunProgress, RunRecord } from '../../run/record.ts';

const SAMPLE_COUNT = 32;

interface TestReportInput {
  model: PassForward;
  source: BatchSource;
  data: Pick<RunData, 'test' | 'classNames'>;
  numClasses: number;
  batchSize: number;
  /** Summaries go at this step (the number of epochs trained). */
  history: EpochHistory[];
  root: SummaryWriter;
  shouldStop: () => boolean;
  heartbeat: (progress: RunProgress) => void;
}

/** Evaluates the test split and writes its summaries; null when stopped midway (nothing written). */
export async function testReport(
  input: TestReportInput,
): Promise<{ final: NonNullable<RunRecord['final']>; perClassAccuracy: Record<string, number> } | null> {
  const { data, root, history } = input;
  const test = await evaluate(
    input.model,
    input.source,
    input.numClasses,
    input.batchSize,
    SAMPLE_COUNT,
    input.shouldStop,
    (done, total) => input.heartbeat({ phase: 'evaluate', split: 'test', done, total }),
  );
  if (test === null) return null;
  const step = history.length;
  root.scalar('test/loss', test.loss, step);
  root.scalar('test/accuracy', test.accuracy, step);
  const perClass = perClassAccuracy(test.confusion, data.classNames);
  for (const [name, value] of Object.entries(perClass)) root.scalar(`test/per_class_accuracy/${name}`, value, step);
  const cm = confusionMatrixImage(test.confusion);
  root.image('confusion_matrix', cm.png, cm.width, cm.height, step);
  root.text(
    'confusion_matrix_table',
    `${confusionMatrixMarkdown(test.confusion, data.classNames)}\n\n` +
      `Axis colour key:\n${classColorLegendMarkdown(data.classNames)}`,
    step,
  );
  const samples = test.predictions.map((p) => ({
    image: data.test.images.subarray(p.index * 3072, (p.index + 1) * 3072),
    label: data.test.labels[p.index]!,
    predicted: p.predicted,
    confidence: p.confidence,
  }));
  const grid = samplePredictionsImage(samples);
  root.image('sample_predictions', grid.png, grid.width, grid.height, step);
  root.text('sample_predictions_table', samplePredictionsMarkdown(samples, data.classNames), step);

  const last = history[history.length - 1];
  return {
    final: {
      trainAccuracy: last?.trainAccuracy ?? NaN,
      trainLoss: last?.trainLoss ?? NaN,
      valAccuracy: last?.valAccuracy ?? null,
      valLoss: last?.valLoss ?? null,
      testAccuracy: test.accuracy,
      testLoss: test.loss,
    },
    perClassAccuracy: perClass,
  };
}
