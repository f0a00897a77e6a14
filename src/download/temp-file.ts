import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { unlinkSync } from 'node:fs';
import { join } from 'node:path';

/** `.<fileName>.<pid>.<random>.part` beside the destination, so the rename is atomic on one file system. */
export function tempPathFor(destDir: string, fileName: string): string {
  return join(destDir, `.${fileName}.${process.pid}.${randomBytes(4).toString('hex')}.part`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes parts left by a process that was killed outright (SIGKILL, power loss); live downloads are left alone. */
export async function removeStaleParts(destDir: string, fileName: string): Promise<void> {
  const prefix = `.${fileName}.`;
  for (const name of await readdir(destDir)) {
    if (!name.startsWith(prefix) || !name.endsWith('.part')) continue;
    const pid = Number(name.slice(prefix.length).split('.')[0]);
    if (Number.isInteger(pid) && pid > 0 && !processAlive(pid)) await rm(join(destDir, name), { force: true });
  }
}

/**
 * Deletes the temp file if the process exits or is interrupted mid-download. Installs a SIGINT/SIGTERM
 * handler only where nobody else handles the signal, then re-raises it so the default behaviour stays.
 * Returns the function that removes the guard.
 */
export function guardTempFile(path: string): () => void {
  const removeSync = (): void => {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  };
  const signals = (['SIGINT', 'SIGTERM'] as const).filter((s) => process.listenerCount(s) === 0);
  const onSignal = (signal: NodeJS.Signals): void => {
    removeSync();
    dispose();
    process.kill(process.pid, signal);
  };
  const dispose = (): void => {
    process.off('exit', removeSync);
    for (const s of signals) process.off(s, onSignal);
  };
  process.on('exit', removeSync);
  for (const s of signals) process.on(s, onSignal);
  return dispose;
}
