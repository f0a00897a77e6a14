// Event file names: events.out.tfevents.<10-digit secs>.<host>.<pid>.<n>.v2, like TF2's writer.
// TensorBoard's Python loader reads a directory's files in name order and never goes back, so a
// new writer's file must sort after every event file already there.
import { hostname } from 'node:os';

const PREFIX = 'events.out.tfevents.';
let counter = 0;

export function eventFileName(opts: { nowMs?: number; suffix?: string } = {}): string {
  const secs = Math.floor((opts.nowMs ?? Date.now()) / 1000);
  const host = hostname().replace(/[\\/\s]/g, '_') || 'localhost';
  return `${PREFIX}${String(secs).padStart(10, '0')}.${host}.${process.pid}.${counter++}${opts.suffix ?? '.v2'}`;
}

/**
 * A name for a new event file that sorts after every event file in `existing`. Within one second
 * (a resume right after an interruption, another pid) the time field is moved past the newest one;
 * throws, naming the file, when a foreign name sorts after anything this pattern can produce.
 */
export function eventFileNameAfter(existing: string[], opts: { nowMs?: number; suffix?: string } = {}): string {
  const last = existing.filter(isEventFileName).sort().at(-1);
  const nowMs = opts.nowMs ?? Date.now();
  const first = eventFileName({ ...opts, nowMs });
  if (last === undefined || first > last) return first;
  const lastSecs = last.startsWith(PREFIX) ? Number(last.slice(PREFIX.length, PREFIX.length + 10)) : NaN;
  if (Number.isInteger(lastSecs)) {
    const later = eventFileName({ ...opts, nowMs: Math.max(nowMs, (lastSecs + 1) * 1000) });
    if (later > last) return later;
  }
  throw new Error(`${last}: an event file whose name sorts after any new event file; move it out of the run directory`);
}

/** TensorBoard's rule: the basename contains `tfevents` and is not a `.profile-empty` marker. */
export function isEventFileName(name: string): boolean {
  return name.includes('tfevents') && !name.endsWith('.profile-empty');
}
