import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The read-only fixtures folder: TRANSFERLAB_SHARED, else `../shared` beside the checkout. */
export function sharedDir(): string {
  const dir = process.env.TRANSFERLAB_SHARED ?? join(repoRoot, '..', 'shared');
  if (!existsSync(dir)) {
    throw new Error(`shared fixtures not found at ${dir}: set TRANSFERLAB_SHARED to the shared/ folder`);
  }
  return dir;
}

export const cifarDir = (): string => join(sharedDir(), 'data', 'cifar-10-batches-bin');
export const sharedModelsDir = (): string => join(sharedDir(), 'models');
export const realEventsDir = (): string => join(sharedDir(), 'tensorboard', 'real-events');
