// Finds runs under a logdir: every directory that directly holds an event file (TensorBoard's rule).
import { readdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { isEventFileName } from '../format/file-name.ts';

interface DiscoverOptions {
  /** TensorBoard follows symbolic links (default); a server confined to the logdir does not. */
  followSymlinks?: boolean;
  /** How many directory levels below `logdir` to look (default: no limit). */
  maxDepth?: number;
  /** Directory names not to descend into. */
  skipDir?: (name: string) => boolean;
}

/** Run paths relative to `logdir`, `/`-separated, `.` for the logdir itself; sorted. */
export async function discoverRuns(logdir: string, options: DiscoverOptions = {}): Promise<string[]> {
  const { followSymlinks = true, maxDepth = Infinity, skipDir = () => false } = options;
  const runs: string[] = [];
  const seen = new Set<string>();
  async function walk(dir: string, rel: string, depth: number): Promise<void> {
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
    const followed = (e: { isSymbolicLink(): boolean }) => followSymlinks && e.isSymbolicLink();
    if (entries.some((e) => (e.isFile() || followed(e)) && isEventFileName(e.name))) runs.push(rel || '.');
    if (depth >= maxDepth) return;
    const subdirs = entries
      .filter((e) => (e.isDirectory() || followed(e)) && !skipDir(e.name))
      .map((e) => e.name)
      .sort();
    for (const name of subdirs) await walk(join(dir, name), rel ? `${rel}/${name}` : name, depth + 1);
  }
  await walk(logdir, '', 0);
  return runs.sort();
}
