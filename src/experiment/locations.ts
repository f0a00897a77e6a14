// Where things are: every "flag > TRANSFERLAB_* variable > default" lookup of the project, once.
// The cache root itself is download's (its reader is the one lookup of TRANSFERLAB_CACHE_DIR).
import { join, resolve } from 'node:path';
import { cacheDir } from '../download/cache-dir.ts';

export interface LocationFlags {
  logdir?: string | undefined;
  dataDir?: string | undefined;
  weightsDir?: string | undefined;
  modelsDir?: string | undefined;
}

export interface Locations {
  /** Runs and their event files (relative paths stay relative: run ids are printed from it). */
  logdir: string;
  /** The CIFAR-10 folder. */
  dataDir: string;
  /** Keras `.h5` weights. */
  weightsDir: string;
  /** tfjs layers-format models (pretrained:<id>). */
  modelsDir: string;
  /** Downloads and the feature cache. */
  cacheDir: string;
}

/** `--logdir` > `TRANSFERLAB_LOGDIR` > `logs`. */
export function resolveLogdir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env.TRANSFERLAB_LOGDIR ?? 'logs';
}

export function resolveLocations(flags: LocationFlags = {}, env: NodeJS.ProcessEnv = process.env): Locations {
  const cache = cacheDir(env);
  const pick = (flag: string | undefined, variable: string | undefined, fallback: string) =>
    resolve(flag ?? variable ?? fallback);
  return {
    logdir: resolveLogdir(flags.logdir, env),
    dataDir: pick(flags.dataDir, env.TRANSFERLAB_DATA_DIR, join(cache, 'datasets')),
    weightsDir: pick(flags.weightsDir, env.TRANSFERLAB_WEIGHTS_DIR, join(cache, 'models')),
    modelsDir: pick(flags.modelsDir, env.TRANSFERLAB_MODELS_DIR, join(cache, 'models')),
    cacheDir: cache,
  };
}
