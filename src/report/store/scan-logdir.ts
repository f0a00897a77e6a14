import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { discoverRuns } from '../../tensorboard/index.ts';
import { CHECKPOINT_DIR, RUN_RECORD_FILE, SUBRUNS } from '../../run/layout.ts';

// The store's view of the log directory, on top of the one walker (tensorboard's discoverRuns, as
// run/layout.ts findRunIds uses it): event folders are grouped into runs by the run layout.

export interface FoundRun {
  id: string;
  /** `record`: a project run with run.json; `events`: a plain TensorBoard run (event files only). */
  kind: 'record' | 'events';
}

/** `a/b/train` is run `a/b`'s sub-run; a top-level folder named `train` is a run of its own. */
function runIdOf(folder: string): string {
  const cut = folder.lastIndexOf('/');
  return cut > 0 && SUBRUNS.includes(folder.slice(cut + 1)) ? folder.slice(0, cut) : folder;
}

/**
 * Run directories below `logdir` (ids `/`-separated, sorted): a directory holding event files
 * directly or in `train/`/`validation/`, a `record` run when it holds run.json. Symbolic links are
 * not followed, so everything found lies inside the logdir.
 */
export async function findRunDirs(logdir: string, maxDepth: number): Promise<FoundRun[]> {
  const skipDir = (name: string) => name.startsWith('.') || name === CHECKPOINT_DIR;
  // One level deeper than the runs themselves: their sub-runs hold the event files.
  const folders = await discoverRuns(logdir, { followSymlinks: false, maxDepth: maxDepth + 1, skipDir });
  const ids = new Set(folders.filter((f) => f !== '.').map(runIdOf));
  const records = [...ids].filter((id) => existsSync(join(logdir, id, RUN_RECORD_FILE)));
  // Nothing inside a project run is a run of its own (as --resume's findRunIds sees it).
  const insideRecord = (id: string) => records.some((r) => id.startsWith(`${r}/`));
  return [...ids]
    .filter((id) => !insideRecord(id) && id.split('/').length <= maxDepth)
    .map((id): FoundRun => ({ id, kind: records.includes(id) ? 'record' : 'events' }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
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
