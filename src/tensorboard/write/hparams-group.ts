// HParams session group names as TensorBoard's `hp.hparams` / `hp.KerasCallback` derive them
// (plugins/hparams/summary_v2.py, _derive_session_group_name): the SHA-256 hex of
// json.dumps(hparams, sort_keys=True, separators=(",", ":")). Sessions with equal names form one
// group in the HParams table, so repeats that differ only in excluded keys (the seed) group.
import { createHash } from 'node:crypto';
import type { HParamValue } from '../format/hparams-plugin.ts';

/** Python's float repr: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
function pythonFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  const [mantissa, expPart] = v.toExponential().split('e');
  const exp = Number(expPart);
  if (exp < -4 || exp >= 16) {
    return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const fixed = String(v); // JS switches to exponents only outside [1e-7, 1e21), so this is fixed
  return fixed.includes('.') ? fixed : `${fixed}.0`;
}

/**
 * A JS number as json.dumps writes the Python value it stands for: whole numbers as ints (what
 * `epochs=3` is in Python), everything else as a float.
 */
function pythonNumber(v: number): string {
  return Number.isSafeInteger(v) ? String(v) : pythonFloat(v);
}

/** json.dumps' default ensure_ascii: everything outside printable ASCII as \uXXXX. */
function pythonString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function pythonValue(v: HParamValue): string {
  if (typeof v === 'number') return pythonNumber(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return pythonString(v);
}

/** json.dumps(hparams, sort_keys=True, separators=(",", ":")) for a flat hparams dict. */
export function pythonJsonDumps(hparams: Record<string, HParamValue>): string {
  const keys = Object.keys(hparams).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${keys.map((k) => `${pythonString(k)}:${pythonValue(hparams[k])}`).join(',')}}`;
}

/** The group name hp.KerasCallback gives these hparams, leaving out the `exclude` keys first. */
export function hparamsGroupName(hparams: Record<string, HParamValue>, opts: { exclude?: string[] } = {}): string {
  const exclude = new Set(opts.exclude ?? []);
  const kept = Object.fromEntries(Object.entries(hparams).filter(([k]) => !exclude.has(k)));
  return createHash('sha256').update(pythonJsonDumps(kept), 'utf8').digest('hex');
}
