// A log directory holding a sweep as the sweep executors leave it: one run per trial, tagged
// `sweep:<name>`, `trial:<id>` and `group:<id>` (ids from the sweep's own trial-id functions), with
// run.json and event files written by the project's SummaryWriter. Used by the sweep page tests.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExperimentDefinition } from '../../src/experiment/definition.ts';
import { TRAIN_SUBRUN, VALIDATION_SUBRUN } from '../../src/run/layout.ts';
import { groupTag, sweepTag, trialTag } from '../../src/run/sweep-tags.ts';
import { groupId, trialId } from '../../src/sweep/trial-id.ts';
import { SummaryWriter } from '../../src/tensorboard/index.ts';

export interface SweepCell {
  learningRate: number;
  units: number;
  /** One test accuracy per seed. */
  test: number[];
}

export interface WrittenTrial {
  runId: string;
  trial: string;
  group: string;
  seed: number;
  test: number;
}

function definitionOf(cell: SweepCell, seed: number) {
  return {
    description: 'quickstart variant',
    tags: ['quickstart'],
    notes: '',
    seed,
    model: {
      base: 'mobilenetv1',
      alpha: 0.25,
      weights: 'pretrained:mobilenet_v1_0.25_224',
      inputSize: 32,
      resize: 'bilinear',
      freeze: 'all',
      head: { pooling: 'avg', dense: [{ units: cell.units, activation: 'relu', dropout: 0.3 }] },
    },
    data: { validationSize: 20, augment: { flip: false, crop: false } },
    optimizer: { name: 'adam', learningRate: cell.learningRate },
    train: { epochs: 3, batchSize: 10, logEveryBatches: 1, featureCache: 'auto' },
  };
}

async function writeTrial(logdir: string, sweep: string, cell: SweepCell, seed: number, index: number, test: number) {
  const definition = definitionOf(cell, seed);
  const trial = trialId('quickstart', definition as unknown as ExperimentDefinition);
  const group = groupId('quickstart', definition as unknown as ExperimentDefinition);
  const runId = `quickstart/20261203-08${String(index).padStart(2, '0')}00-${sweep}-${trial}`;
  const dir = join(logdir, ...runId.split('/'));
  await mkdir(dir, { recursive: true });
  const start = Date.UTC(2026, 11, 3, 8, index) / 1000;
  const valAcc = [test - 0.1, test - 0.03, test - 0.01];
  const root = await SummaryWriter.create(dir);
  const train = await SummaryWriter.create(join(dir, TRAIN_SUBRUN));
  const validation = await SummaryWriter.create(join(dir, VALIDATION_SUBRUN));
  root.hparamsSessionStart({ hparams: { learning_rate: cell.learningRate, units: cell.units, seed } });
  const history = valAcc.map((acc, epoch) => {
    const wallTime = start + 10 * (epoch + 1);
    train.scalar('epoch_loss', 2 - acc, epoch, wallTime);
    train.scalar('epoch_accuracy', acc + 0.02, epoch, wallTime);
    validation.scalar('epoch_loss', 2.1 - acc, epoch, wallTime);
    validation.scalar('epoch_accuracy', acc, epoch, wallTime);
    return {
      epoch,
      step: 5 * (epoch + 1),
      wallTime,
      trainLoss: 2 - acc,
      trainAccuracy: acc + 0.02,
      valLoss: 2.1 - acc,
      valAccuracy: acc,
      seconds: 10,
    };
  });
  const end = start + 40;
  root.scalar('test/accuracy', test, 3, end);
  root.hparamsSessionEnd('success', end);
  await Promise.all([root.close(), train.close(), validation.close()]);
  const record = {
    schemaVersion: 1,
    id: runId,
    experiment: 'quickstart',
    name: `${sweep}-${trial}`,
    status: 'success',
    error: null,
    definition,
    seed,
    tags: ['quickstart', sweepTag(sweep), trialTag(trial), groupTag(group)],
    notes: '',
    startTime: new Date(start * 1000).toISOString(),
    endTime: new Date(end * 1000).toISOString(),
    epochs: { planned: 3, completed: 3 },
    globalStep: 15,
    best: { epoch: 2, valAccuracy: valAcc[2], valLoss: 2.1 - valAcc[2]! },
    final: {
      trainAccuracy: valAcc[2]! + 0.02,
      trainLoss: 1,
      valAccuracy: valAcc[2],
      valLoss: 1.1,
      testAccuracy: test,
      testLoss: 1,
    },
    compute: { trainImages: 150, flops: 1e12 * (cell.units / 128), seconds: 40 },
    history,
  };
  await writeFile(join(dir, 'run.json'), JSON.stringify(record, null, 2));
  return { runId, trial, group, seed, test };
}

/** Writes every cell × seed of `cells` as trials of the sweep `name` (seeds 1, 2, 3, …). */
export async function writeSweepLogdir(logdir: string, name: string, cells: SweepCell[], firstIndex = 0) {
  const written: WrittenTrial[] = [];
  let index = firstIndex;
  for (const cell of cells) {
    for (const [i, test] of cell.test.entries())
      written.push(await writeTrial(logdir, name, cell, i + 1, index++, test));
  }
  return written;
}
