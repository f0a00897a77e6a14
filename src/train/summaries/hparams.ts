import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findRunIds, RUN_RECORD_FILE, TRAIN_SUBRUN, VALIDATION_SUBRUN } from '../../run/layout.ts';
import { writeHparamsExperiment, type HParamInfo, type HParamValue, type MetricInfo } from '../../tensorboard/index.ts';
import { cropPadding, type ExperimentDefinition } from '../../experiment/definition.ts';

/** The hyperparameters a run reports to TensorBoard's HParams dashboard, flattened from its definition. */
export function runHparams(def: ExperimentDefinition, experiment: string): Record<string, HParamValue> {
  const m = def.model;
  const freeze =
    typeof m.freeze === 'string' ? m.freeze : 'last' in m.freeze ? `last:${m.freeze.last}` : `from:${m.freeze.from}`;
  const head = [
    m.head.pooling,
    ...(m.head.dropout ? [`drop${m.head.dropout}`] : []),
    ...m.head.dense.map((d) => `${d.units}${d.activation}${d.dropout ? `-drop${d.dropout}` : ''}`),
  ].join('→');
  return {
    experiment,
    base: m.base,
    alpha: m.alpha ?? 1,
    weights: m.weights,
    input_size: m.inputSize,
    resize: m.resize,
    freeze,
    head,
    optimizer: def.optimizer.name,
    learning_rate: def.optimizer.learningRate,
    schedule: def.optimizer.schedule?.kind ?? 'constant',
    batch_size: def.train.batchSize,
    epochs: def.train.epochs,
    train_per_class: def.data.trainPerClass ?? 0,
    augment:
      [
        def.data.augment.flip ? 'flip' : '',
        cropPadding(def.data.augment.crop) ? `crop${cropPadding(def.data.augment.crop)}` : '',
      ]
        .filter(Boolean)
        .join('+') || 'none',
    seed: def.seed,
  };
}

const HPARAM_METRICS: MetricInfo[] = [
  { tag: 'epoch_accuracy', group: VALIDATION_SUBRUN, datasetType: 'validation', displayName: 'validation accuracy' },
  { tag: 'epoch_loss', group: VALIDATION_SUBRUN, datasetType: 'validation', displayName: 'validation loss' },
  { tag: 'epoch_accuracy', group: TRAIN_SUBRUN, datasetType: 'training', displayName: 'train accuracy' },
  { tag: 'epoch_loss', group: TRAIN_SUBRUN, datasetType: 'training', displayName: 'train loss' },
  { tag: 'test/accuracy', group: '', displayName: 'test accuracy' },
  { tag: 'test/loss', group: '', displayName: 'test loss' },
];

/**
 * Rewrites `_hparams_/experiment` at the log root from every run.json there: each hparam's domain is
 * the union of the values the runs used (TensorBoard filters and colours by it).
 */
export async function rebuildHparamsExperiment(logdir: string): Promise<void> {
  const values = new Map<string, Set<HParamValue>>();
  for (const id of await findRunIds(logdir)) {
    const file = join(logdir, id, RUN_RECORD_FILE);
    let record: { definition?: ExperimentDefinition; experiment?: string };
    try {
      record = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      continue; // a run being written or a foreign file: the report's validator deals with those
    }
    if (
      !record.definition?.model ||
      !record.definition.optimizer ||
      !record.definition.train ||
      !record.definition.data
    )
      continue;
    let hp: Record<string, HParamValue>;
    try {
      hp = runHparams(record.definition, record.experiment ?? 'unknown');
    } catch {
      continue;
    }
    for (const [k, v] of Object.entries(hp)) {
      if (!values.has(k)) values.set(k, new Set());
      values.get(k)!.add(v);
    }
  }
  const hparams: HParamInfo[] = [...values.entries()].map(([name, set]) => {
    const list = [...set];
    const numeric = list.every((v) => typeof v === 'number');
    const sorted = numeric ? (list as number[]).sort((a, b) => a - b) : list.map(String).sort();
    return { name, type: numeric ? 'float64' : 'string', domain: { discrete: sorted } };
  });
  await writeHparamsExperiment(logdir, { hparams, metrics: HPARAM_METRICS });
}
