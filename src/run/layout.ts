// The log layout: <logdir>/<experiment>/<YYYYMMDD-HHMMSS>[-<name>]/ holds run.json, the root event
// file, checkpoints/ and one event folder per Keras sub-run; a run id is that folder relative to the
// logdir, `/`-separated, and its URL path is the id with each segment percent-encoded.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UsageError } from '../experiment/usage-error.ts';

export const RUN_RECORD_FILE = 'run.json';
export const CHECKPOINT_DIR = 'checkpoints';
/** Keras' TensorBoard callback writes training and validation scalars into these sub-runs. */
export const TRAIN_SUBRUN = 'train';
export const VALIDATION_SUBRUN = 'validation';
export const SUBRUNS: readonly string[] = [TRAIN_SUBRUN, VALIDATION_SUBRUN];

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkRunName(name: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw new UsageError(
      `--name ${JSON.stringify(name)}: use 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
}

/** YYYYMMDD-HHMMSS in UTC. */
function runTimestamp(date = new Date()): string {
  return date.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
}

/** Creates `<logdir>/<experiment>/<timestamp>[-<name>]` (with `-2`, `-3`… if that second is taken). */
export async function createRunDir(
  logdir: string,
  experiment: string,
  name: string | null,
  date = new Date(),
): Promise<{ dir: string; id: string }> {
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
  const found = candidates.find((c) => existsSync(join(c, RUN_RECORD_FILE)));
  if (!found) throw new UsageError(`--resume ${runIdOrPath}: no ${RUN_RECORD_FILE} in ${candidates.join(' or ')}`);
  return found;
}

/**
 * A run id is a `/`-separated path relative to the logdir. Ids from requests are only ever looked up
 * among discovered runs; this check rejects traversal shapes early so they never reach the filesystem.
 */
export function isPlausibleRunId(id: string): boolean {
  if (id.length === 0 || id.length > 1024) return false;
  if (id.includes('\\') || id.includes('\0') || id.startsWith('/') || /^[A-Za-z]:/.test(id)) return false;
  return id.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

/** URL path for a run id: each segment percent-encoded, the `/` kept. */
export function encodeRunPath(id: string): string {
  return id.split('/').map(encodeURIComponent).join('/');
}

/**
 * Decodes the run id from the path after a route prefix. Every segment is percent-decoded on its
 * own; a segment that decodes to something holding `/` or `\`, or to `.`/`..`, makes the id invalid.
 */
export function runIdFromPath(rawPath: string, prefix: string, suffix = ''): string | null {
  const path = rawPath.split('?')[0]!;
  if (!path.startsWith(prefix)) return null;
  let rest = path.slice(prefix.length);
  if (suffix) {
    if (!rest.endsWith(suffix)) return null;
    rest = rest.slice(0, -suffix.length);
  }
  const segments: string[] = [];
  for (const raw of rest.split('/')) {
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (seg.includes('/') || seg.includes('\\')) return null;
    segments.push(seg);
  }
  const id = segments.join('/');
  return isPlausibleRunId(id) ? id : null;
}
