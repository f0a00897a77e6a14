import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isEventFileName } from '../../tensorboard/index.ts';
import { SUBRUNS } from '../../run/layout.ts';

// The report's own walk over the log directory. `src/run/layout.ts` is to become the only walker;
// until the integration re-points the store at it, these two functions are that walk.

export interface FoundRun {
  id: string;
  /** `record`: a project run with run.json; `events`: a plain TensorBoard run (event files only). */
  kind: 'record' | 'events';
}

async function hasEventFile(dir: string): Promise<boolean> {
  const dirents = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return dirents.some((d) => d.isFile() && isEventFileName(d.name));
}

/**
 * Run directories below `logdir` (ids `/`-separated, sorted): a directory holding run.json, or one
 * holding event files directly or in `train/`/`validation/`. Symbolic links are not followed, so
 * everything found lies inside the logdir.
 */
export async function findRunDirs(logdir: string, maxDepth: number): Promise<FoundRun[]> {
  const found: FoundRun[] = [];
  const walk = async (rel: string, depth: number): Promise<void> => {
    const dirents = await readdir(rel ? join(logdir, rel) : logdir, { withFileTypes: true }).catch(() => null);
    if (!dirents) return;
    if (rel && dirents.some((d) => d.name === 'run.json' && d.isFile())) {
      found.push({ id: rel, kind: 'record' });
      return;
    }
    // Every folder is walked, dot-names included (`..foo/` is a run like any other; readdir never lists `.`/`..`).
    const dirs = dirents.filter((d) => d.isDirectory());
    const splits = dirs.filter((d) => SUBRUNS.includes(d.name));
    let isRun = false;
    if (rel) {
      isRun = dirents.some((d) => d.isFile() && isEventFileName(d.name));
      for (const d of splits) if (!isRun) isRun = await hasEventFile(join(logdir, rel, d.name));
    }
    if (isRun) found.push({ id: rel, kind: 'events' });
    if (depth >= maxDepth) return;
    const below = isRun ? dirs.filter((d) => !splits.includes(d)) : dirs;
    await Promise.all(below.map((d) => walk(rel ? `${rel}/${d.name}` : d.name, depth + 1)));
  };
  await walk('', 0);
  return found.sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** The newest modification time of the event files in a run directory and its sub-runs (ms; 0 if none). */
export async function latestEventMtime(dir: string): Promise<number> {
  let latest = 0;
  for (const sub of ['', ...SUBRUNS]) {
    const d = sub ? join(dir, sub) : dir;
    const names = await readdir(d).catch(() => [] as string[]);
    for (const name of names) {
      if (!name.includes('tfevents')) continue;
      const s = await stat(join(d, name)).catch(() => null);
      if (s && s.mtimeMs > latest) latest = s.mtimeMs;
    }
  }
  return latest;
}
