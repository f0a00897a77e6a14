// The run's HParams session start. No `_hparams_/experiment` is written: without one TensorBoard's
// hparams plugin infers the columns, their domains and the metrics from the session starts of all
// runs on every request, so a TensorBoard already open learns each new run's values; a written one
// would stay frozen at the first version it read (first metadata wins). docs/tensorboard.md.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { EXPERIMENT_FILE_SUFFIX, hparamsGroupName, type HParamValue } from '../../tensorboard/index.ts';
import { cropPadding, type ExperimentDefinition } from '../../experiment/definition.ts';

/** What the definition does not say: where the run trained and on what. */
export interface RunConditions {
  backend: string;
  /** Trained on cached base features (a frozen base without augmentation). */
  featureCache: boolean;
}

/** The HParams session start of a run: its hparams, grouped with its repeats (same values, other seed). */
export function sessionStartOf(def: ExperimentDefinition, experiment: string, conditions: RunConditions) {
  const hparams = runHparams(def, experiment, conditions);
  return { hparams, groupName: hparamsGroupName(hparams, { exclude: ['seed'] }) };
}

/** The hyperparameters a run reports to TensorBoard's HParams dashboard, flattened from its definition. */
function runHparams(
  def: ExperimentDefinition,
  experiment: string,
  conditions: RunConditions,
): Record<string, HParamValue> {
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
    micro_batch: def.train.microBatch ?? def.train.batchSize,
    epochs: def.train.epochs,
    train_per_class: def.data.trainPerClass ?? 'all',
    validation_size: def.data.validationSize,
    test_per_class: def.data.testPerClass ?? 'all',
    augment:
      [
        def.data.augment.flip ? 'flip' : '',
        cropPadding(def.data.augment.crop) ? `crop${cropPadding(def.data.augment.crop)}` : '',
      ]
        .filter(Boolean)
        .join('+') || 'none',
    feature_cache: conditions.featureCache ? 'on' : 'off',
    backend: conditions.backend,
    seed: def.seed,
  };
}

/**
 * Removes the `_hparams_/experiment` files earlier versions wrote at the log root, so that
 * TensorBoard infers the experiment (other tools' event files are left alone).
 */
export async function removeWrittenExperiments(logdir: string): Promise<void> {
  const names = await readdir(logdir).catch(() => [] as string[]);
  for (const name of names.filter((f) => f.includes('tfevents') && f.endsWith(EXPERIMENT_FILE_SUFFIX))) {
    await rm(join(logdir, name), { force: true });
  }
}
