import { relative, sep } from 'node:path';

/** A damaged stretch of an event file, as the runs table, the run page and the JSON API show it. */
export interface DamageWarning {
  /** The event file, relative to the logdir, `/`-separated. */
  file: string;
  /** Byte offset of the first damaged record. */
  offset: number;
  /** Bytes passed over before reading went on; null when reading that file stopped at the damage. */
  skippedBytes: number | null;
  reason: string;
}

// RunReader words framing or CRC damage as `<path>: <reason> in the record at byte <n>; stopped
// reading this file`; the resynchronising reader reports the same facts as `{ file, offset,
// skippedBytes, reason }`. Both forms are accepted here. A record whose CRCs check but whose Event
// does not decode is not damage to the file and stays a plain warning.
const STOPPED = /^(.+): (.+) in the record at byte (\d+); stopped reading this file$/;

interface StructuredWarning {
  file: string;
  offset: number;
  skippedBytes?: number | null;
  reason: string;
}

function relativeFile(logdir: string, file: string): string {
  const rel = relative(logdir, file);
  return (rel.startsWith('..') ? file : rel).split(sep).join('/');
}

/** The damage a reader warning describes, or null for warnings about something else (a missing directory, …). */
export function damageOf(logdir: string, warning: string | StructuredWarning): DamageWarning | null {
  if (typeof warning !== 'string') {
    const { file, offset, skippedBytes = null, reason } = warning;
    return { file: relativeFile(logdir, file), offset, skippedBytes, reason };
  }
  const stopped = STOPPED.exec(warning);
  if (!stopped) return null;
  return { file: relativeFile(logdir, stopped[1]), offset: Number(stopped[3]), skippedBytes: null, reason: stopped[2] };
}

/** One line for people: which file, where, why, and what was lost. */
export function describeDamage(d: DamageWarning): string {
  const lost = d.skippedBytes === null ? 'the rest of the file was not read' : `${d.skippedBytes} bytes skipped`;
  return `${d.file}: damaged record at byte ${d.offset} (${d.reason}); ${lost}`;
}
