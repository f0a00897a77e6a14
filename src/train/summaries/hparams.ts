import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeHparamsExperiment, type HParamInfo, type HParamValue, type MetricInfo } from '../../tensorboard/index.ts';
import { cropPadding, type ExperimentDefinition } from '../../experiment/definition.ts';

/** The hyperparameters a run reports to TensorBoard's HParams dashboard, flattened from its definition. */
export function runHparams(def: ExperimentDefinition, experiment: string): Record<string, HParamValue> {
  const m = def.model;
  const freeze = typeof m.freeze === 'string' ? m.freeze : 'last' in m.freeze ? `last:${m.freeze.last}` : `from:${m.freeze.from}`;
  const head = [m.head.pooling, ...(m.head.dropout ? [`drop${m.head.dropout}`] : []),
    ...m.head.dense.map((d) => `${d.units}${d.activation}${d.dropout ? `-drop${d.dropout}` : ''}`)].join('→');
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
    augment: [def.data.augment.flip ? 'flip' : '', cropPadding(def.data.augment.crop) ? `crop${cropPadding(def.data.augment.crop)}` : '']
      .filter(Boolean).join('+') || 'none',
    seed: def.seed,
  };
}

export const HPARAM_METRICS: MetricInfo[] = [
  { tag: 'epoch_accuracy', group: 'validation', datasetType: 'validation', displayName: 'validation accuracy' },
  { tag: 'epoch_loss', group: 'validation', datasetType: 'validation', displayName: 'validation loss' },
  { tag: 'epoch_accuracy', group: 'train', datasetType: 'training', displayName: 'train accuracy' },
  { tag: 'epoch_loss', group: 'train', datasetType: 'training', displayName: 'train loss' },
  { tag: 'test/accuracy', group: '', displayName: 'test accuracy' },
  { tag: 'test/loss', group: '', displayName: 'test loss' },
];

/** run.json files under the log directory (run dirs sit at <experiment>/<run>, but any depth ≤ 4 is read). */
export function findRunRecords(logdir: string, depth = 4): string[] {
  if (!existsSync(logdir)) return [];
  const found: string[] = [];
  const walk = (dir: string, level: number): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    if (names.includes('run.json')) found.push(join(dir, 'run.json'));
    if (level >= depth) return;
    for (const name of names) {
      if (name.startsWith('.') || name === 'checkpoints' || name === 'train' || name === 'validation') continue;
      const p = join(dir, name);
      try {
        if (statSync(p).isDirectory()) walk(p, level + 1);
      } catch {
        // vanished while walking: another run cleaning up
      }
    }
  };
  walk(logdir, 0);
  return found.sort();
}

/**
 * Rewrites `_hparams_/experiment` at the log root from every run.json there: each hparam's domain is
 * the union of the values the runs used (TensorBoard filters and colours by it).
 */
export async function rebuildHparamsExperiment(logdir: string): Promise<void> {
  const values = new Map<string, Set<HParamValue>>();
  for (const file of findRunRecords(logdir)) {
    let record: { definition?: ExperimentDefinition; experiment?: string };
    try {
      record = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      continue; // a run being written or a foreign file: the report's validator deals with those
    }
    if (!record.definition?.model || !record.definition.optimizer || !record.definition.train || !record.definition.data) continue;
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
