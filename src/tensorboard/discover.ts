// Finds runs under a logdir: every directory that directly holds an event file (TensorBoard's rule).
import { readdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { isEventFileName } from './file-name.ts';

/** Run paths relative to `logdir`, `/`-separated, `.` for the logdir itself; sorted. */
export async function discoverRuns(logdir: string): Promise<string[]> {
  const runs: string[] = [];
  const seen = new Set<string>();
  async function walk(dir: string, rel: string): Promise<void> {
    let real: string;
    try {
      real = await realpath(dir);
    } catch {
      return;
    }
    if (seen.has(real)) return; // symlink loops
    seen.add(real);
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    if (entries.some((e) => (e.isFile() || e.isSymbolicLink()) && isEventFileName(e.name))) runs.push(rel || '.');
    const subdirs = entries.filter((e) => e.isDirectory() || e.isSymbolicLink()).map((e) => e.name).sort();
    for (const name of subdirs) await walk(join(dir, name), rel ? `${rel}/${name}` : name);
  }
  await walk(logdir, '');
  return runs.sort();
}
