import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkRunName(name: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw Object.assign(new Error(`--name ${JSON.stringify(name)}: use 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit`), { exitCode: 2 });
  }
}

/** YYYYMMDD-HHMMSS in UTC. */
export function runTimestamp(date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getUTCFullYear()}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}-${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}`;
}

/** Creates `<logdir>/<experiment>/<timestamp>[-<name>]` (with `-2`, `-3`… if that second is taken). */
export async function createRunDir(logdir: string, experiment: string, name: string | null, date = new Date()): Promise<{ dir: string; id: string }> {
  const stem = `${runTimestamp(date)}${name ? `-${name}` : ''}`;
  for (let n = 1; ; n++) {
    const id = `${experiment}/${stem}${n > 1 ? `-${n}` : ''}`;
    const dir = join(logdir, id);
    if (existsSync(dir)) continue;
    await mkdir(join(logdir, experiment), { recursive: true });
    try {
      await mkdir(dir);
      return { dir, id };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/** `--resume` takes a run id (relative to the logdir) or a path to the run folder. */
export function locateRun(logdir: string, runIdOrPath: string): string {
  const candidates = [resolve(runIdOrPath), resolve(logdir, runIdOrPath)];
  const found = candidates.find((c) => existsSync(join(c, 'run.json')));
  if (!found) throw Object.assign(new Error(`--resume ${runIdOrPath}: no run.json in ${candidates.join(' or ')}`), { exitCode: 2 });
  return found;
}
