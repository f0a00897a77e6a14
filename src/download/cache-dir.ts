import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The user cache for downloads and derived files: TRANSFERLAB_CACHE_DIR, else
 * $XDG_CACHE_HOME/transfer-lab, else ~/.cache/transfer-lab.
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TRANSFERLAB_CACHE_DIR) return resolve(env.TRANSFERLAB_CACHE_DIR);
  if (env.XDG_CACHE_HOME) return join(resolve(env.XDG_CACHE_HOME), 'transfer-lab');
  return join(homedir(), '.cache', 'transfer-lab');
}
