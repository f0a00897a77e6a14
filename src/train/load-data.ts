import { statSync } from 'node:fs';
import { join } from 'node:path';
import { loadCifar10, resolveCifar10Dir, splitValidation, stratifiedSubset, CIFAR10_FILES, type ImageSet } from '../data/index.ts';
import type { ExperimentDefinition } from '../experiment/definition.ts';

export interface RunData {
  /** The CIFAR-10 folder used. */
  dir: string;
  /** Sizes of its files (part of the feature-cache key). */
  files: Record<string, number>;
  train: ImageSet;
  validation: ImageSet | null;
  test: ImageSet;
  classNames: string[];
}

/** CIFAR-10 as the definition splits it: the validation split comes out of the training set first, then the subsets. */
export async function loadRunData(
  def: ExperimentDefinition,
  where: { dataDir?: string; download?: boolean; progress?: 'auto' | 'bar' | 'lines' | 'none' },
): Promise<RunData> {
  const dir = await resolveCifar10Dir({
    ...(where.dataDir ? { dataDir: where.dataDir } : {}),
    ...(where.download === false ? { download: false } : {}),
    ...(where.progress ? { progress: where.progress } : {}),
  });
  const cifar = await loadCifar10(dir);
  const { train: pool, validation } = def.data.validationSize > 0
    ? splitValidation(cifar.train, def.data.validationSize, def.seed)
    : { train: cifar.train, validation: null };
  const train = def.data.trainPerClass ? stratifiedSubset(pool, def.data.trainPerClass, def.seed) : pool;
  const test = def.data.testPerClass ? stratifiedSubset(cifar.test, def.data.testPerClass, def.seed) : cifar.test;
  const files = Object.fromEntries(CIFAR10_FILES.map((f) => [f, statSync(join(dir, f)).size]));
  return { dir, files, train, validation, test, classNames: cifar.classNames };
}
