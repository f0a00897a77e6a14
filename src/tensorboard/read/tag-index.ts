// Finds a tag's series from the tag's bytes in a record, without building a string per event:
// a small direct-mapped cache (a few sampled bytes pick the slot) in front of a hash map, and a
// full byte comparison either way.
import type { TagSeries } from './run-data.ts';

interface Entry {
  bytes: Uint8Array;
  series: TagSeries;
}

function sameBytes(a: Uint8Array, buf: Uint8Array, s: number, n: number): boolean {
  if (a.length !== n) return false;
  let i = 0;
  while (i < n && a[i] === buf[s + i]) i++;
  return i === n;
}

function hash(buf: Uint8Array, s: number, e: number): number {
  let h = (e - s) | 0;
  for (let i = s; i < e; i++) h = Math.imul(h ^ buf[i], 0x01000193);
  return h;
}

export class TagIndex {
  private readonly byHash = new Map<number, Entry[]>();
  private readonly recent: (Entry | undefined)[] = new Array(64).fill(undefined);

  get(buf: Uint8Array, s: number, e: number): TagSeries | undefined {
    const n = e - s;
    const slot = n === 0 ? 0 : (n * 7 + buf[s] * 31 + buf[e - 1] * 131 + buf[s + (n >> 1)] * 17) & 63;
    const r = this.recent[slot];
    if (r !== undefined && sameBytes(r.bytes, buf, s, n)) return r.series;
    const list = this.byHash.get(hash(buf, s, e));
    if (list === undefined) return undefined;
    for (const entry of list) {
      if (sameBytes(entry.bytes, buf, s, n)) {
        this.recent[slot] = entry;
        return entry.series;
      }
    }
    return undefined;
  }

  add(series: TagSeries): void {
    const bytes = new TextEncoder().encode(series.tag);
    const h = hash(bytes, 0, bytes.length);
    const list = this.byHash.get(h) ?? [];
    if (!list.some((e) => e.series === series)) list.push({ bytes, series });
    this.byHash.set(h, list);
  }
}
