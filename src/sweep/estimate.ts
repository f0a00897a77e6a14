// Training compute of each trial before it runs, from the models module's cost model and the same
// formula run.json's `compute.flops` uses.
import { resolveLocations } from '../experiment/locations.ts';
import { computeCosts } from '../train/compute-cost.ts';
import { augmentationOn, type ExperimentDefinition } from '../experiment/definition.ts';
import type { RunRecord } from '../run/record.ts';
import type { Trial } from './expand.ts';
import { canonicalJson } from './trial-id.ts';

const NUM_CLASSES = 10;
const CIFAR_TRAIN = 50_000;
const CIFAR_TEST = 10_000;

export interface TrialEstimate {
  /** Estimated training FLOPs of the whole trial: training, validation after each epoch, the test set. */
  flops: number;
  macsPerImage: number;
  /** Whether the trial is expected to train its head on cached features. */
  cached: boolean;
}

interface ModelFacts {
  macsPerImage: number;
  baseMacsPerImage: number;
  baseTotal: number;
  trainableBaseParams: number;
}

/** Image counts of each split, as load-data picks them from CIFAR-10. */
export function splitSizes(def: ExperimentDefinition): { train: number; validation: number; test: number } {
  const pool = CIFAR_TRAIN - def.data.validationSize;
  const train = def.data.trainPerClass
    ? NUM_CLASSES * Math.min(def.data.trainPerClass, Math.floor(pool / NUM_CLASSES))
    : pool;
  const test = def.data.testPerClass
    ? NUM_CLASSES * Math.min(def.data.testPerClass, CIFAR_TEST / NUM_CLASSES)
    : CIFAR_TEST;
  return { train, validation: def.data.validationSize, test };
}

/**
 * Builds each distinct model once (random weights: counts and multiply-adds do not depend on weight
 * values; the pretrained tfjs model is read from modelsDir when it is there) and estimates every trial.
 */
export async function estimateTrials(
  trials: Trial[],
  where: { modelsDir?: string } = {},
): Promise<Map<string, TrialEstimate>> {
  const { selectBackend } = await import('../backends/index.ts');
  await selectBackend('auto', { quiet: true });
  const models = new Map<string, ModelFacts>();
  const estimates = new Map<string, TrialEstimate>();
  for (const trial of trials) {
    const def = trial.definition;
    const key = canonicalJson(def.model);
    let facts = models.get(key);
    if (!facts) {
      facts = await measureModel(def, where);
      models.set(key, facts);
    }
    const sizes = splitSizes(def);
    // training-inputs' rule, less its 3 GiB cap on the features (reached only by flatten pooling on big splits).
    const cached = def.train.featureCache === 'auto' && facts.trainableBaseParams === 0 && !augmentationOn(def);
    const recordLike = {
      macsPerImage: facts.macsPerImage,
      baseMacsPerImage: facts.baseMacsPerImage,
      dataset: { ...sizes, classNames: [] },
      epochs: { planned: def.train.epochs, completed: 0 },
    } satisfies Pick<RunRecord, 'macsPerImage' | 'baseMacsPerImage' | 'dataset' | 'epochs'>;
    // computeCosts reads only these fields of the record.
    const compute = computeCosts(
      recordLike as unknown as RunRecord,
      cached,
      facts.trainableBaseParams,
      facts.baseTotal,
    )(sizes.train * def.train.epochs, { data: 0, model: 0, features: 0, train: 0, evaluate: 0 });
    estimates.set(trial.id, { flops: compute.flops, macsPerImage: facts.macsPerImage, cached });
  }
  return estimates;
}

async function measureModel(def: ExperimentDefinition, where: { modelsDir?: string }): Promise<ModelFacts> {
  const { buildRunModel, paramCounts } = await import('../train/model-setup.ts');
  const randomWeights = { ...def, model: { ...def.model, weights: 'none' } };
  const probe = def.model.weights.startsWith('pretrained:') ? def : randomWeights;
  const { weightsDir, modelsDir } = resolveLocations(where);
  let built;
  try {
    built = await buildRunModel(probe, { weightsDir, modelsDir, download: false });
  } catch {
    built = await buildRunModel(randomWeights, { weightsDir, modelsDir, download: false });
  }
  const base = paramCounts(built.base);
  const model = paramCounts(built.classifier);
  built.classifier.dispose();
  return {
    macsPerImage: model.macsPerImage,
    baseMacsPerImage: base.macsPerImage,
    baseTotal: base.total,
    trainableBaseParams: built.freeze.trainableParams,
  };
}

/** "41.2 GFLOPs", "3.10 PFLOPs". */
export function formatFlops(flops: number): string {
  const units: [number, string][] = [
    [1e18, 'E'],
    [1e15, 'P'],
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  const [scale, prefix] = units.find(([s]) => flops >= s) ?? [1, ''];
  const x = flops / scale;
  return `${x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)} ${prefix}FLOPs`;
}
