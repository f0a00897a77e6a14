// Event file names: events.out.tfevents.<10-digit secs>.<host>.<pid>.<n>.v2, like TF2's writer.
import { hostname } from 'node:os';

let counter = 0;

export function eventFileName(opts: { nowMs?: number; suffix?: string } = {}): string {
  const secs = Math.floor((opts.nowMs ?? Date.now()) / 1000);
  const host = hostname().replace(/[\\/\s]/g, '_') || 'localhost';
  return `events.out.tfevents.${String(secs).padStart(10, '0')}.${host}.${process.pid}.${counter++}${opts.suffix ?? '.v2'}`;
}

/** TensorBoard's rule: the basename contains `tfevents` and is not a `.profile-empty` marker. */
export function isEventFileName(name: string): boolean {
  return name.includes('tfevents') && !name.endsWith('.profile-empty');
}
