import type { EventFileDamage } from '../../tensorboard/index.ts';
import { relative, sep } from 'node:path';

/** A damaged stretch of an event file, as the runs table, the run page and the JSON API show it. */
export interface DamageWarning {
  /** The event file, relative to the logdir, `/`-separated. */
  file: string;
  /** Byte offset of the first damaged record. */
  offset: number;
  /** Bytes passed over to the next intact record (so far, while none has followed yet). */
  skippedBytes: number;
  reason: string;
}

function relativeFile(logdir: string, file: string): string {
  const rel = relative(logdir, file);
  return (rel.startsWith('..') ? file : rel).split(sep).join('/');
}

/** A reader's damage record, its file named relative to the logdir. */
export function damageOf(logdir: string, damage: EventFileDamage): DamageWarning {
  return {
    file: relativeFile(logdir, damage.file),
    offset: damage.offset,
    skippedBytes: damage.skippedBytes,
    reason: damage.reason,
  };
}

/** One line for people: which file, where, why, and what was lost. */
export function describeDamage(d: DamageWarning): string {
  return `${d.file}: damaged record at byte ${d.offset} (${d.reason}); ${d.skippedBytes} bytes skipped`;
}
