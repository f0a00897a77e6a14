import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SESSION_END_TAG } from '../../src/tensorboard/format/hparams-plugin.ts';

/**
 * The run-root event files holding an HParams session end, one entry per record. Counted in the
 * bytes, because TensorBoard keeps only the first one it meets and a reader would hide extras.
 */
export function sessionEndFiles(runDir: string): string[] {
  const tag = Buffer.from(SESSION_END_TAG);
  return readdirSync(runDir)
    .filter((f) => f.includes('tfevents'))
    .flatMap((f) => {
      const bytes = readFileSync(join(runDir, f));
      const hits: string[] = [];
      for (let at = bytes.indexOf(tag); at >= 0; at = bytes.indexOf(tag, at + 1)) hits.push(f);
      return hits;
    });
}
