// The reader's fast TFRecord scan (same results as format/record.ts's scanRecords, data CRCs
// checked in batches) and the resynchronisation after a damaged record.
import { maskedCrc32cRange, maskedCrc32c8, crc32cRange, unmaskCrc, maskCrc } from '../format/crc.ts';
import { batchMatches, BATCH_MAX_DATA_BYTES } from '../format/batch-crc.ts';
import { MAX_RECORD_BYTES, type ScanResult, type ScanStop } from '../format/record.ts';

const BATCH = 8192;

function u32(b: Uint8Array, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
}
const batchStarts = new Int32Array(BATCH);
const batchLengths = new Int32Array(BATCH);
const batchCrcs = new Int32Array(BATCH);

interface Gathered {
  /** Where the records gathered end. */
  p: number;
  count: number;
  stop?: ScanStop;
  /** Length of a record too big to batch that starts at `p`, else -1. */
  big: number;
}

/**
 * From `p`, checks the headers of up to BATCH small records, saves their data positions, lengths
 * and stored data CRCs, and zeroes their framing bytes (what batchMatches needs).
 */
function gatherBatch(buf: Buffer, p: number): Gathered {
  const n = buf.length;
  let count = 0;
  const stopped = (stop: ScanStop): Gathered => ({ p, count, stop, big: -1 });
  while (count < BATCH) {
    if (p === n) return stopped({ kind: 'end' });
    if (n - p < 12) return stopped({ kind: 'truncated' });
    if (maskedCrc32c8(buf, p) !== u32(buf, p + 8)) return stopped({ kind: 'corrupt', reason: 'length CRC mismatch' });
    const len = u32(buf, p + 4) * 2 ** 32 + u32(buf, p);
    if (len > MAX_RECORD_BYTES) return stopped({ kind: 'corrupt', reason: `implausible record length ${len}` });
    const end = p + 12 + len;
    if (end + 4 > n) return stopped({ kind: 'truncated' });
    if (len > BATCH_MAX_DATA_BYTES) return { p, count, big: len };
    batchStarts[count] = p + 12;
    batchLengths[count] = len;
    batchCrcs[count] = unmaskCrc(u32(buf, end));
    // Plain stores: a native fill per 12-byte header would cost more than the bytes.
    for (let i = p; i < p + 12; i++) buf[i] = 0;
    for (let i = end; i < end + 4; i++) buf[i] = 0;
    count++;
    p = end + 4;
  }
  return { p, count, big: -1 };
}

/** The first gathered record whose data CRC does not match, or -1. */
function firstBadRecord(buf: Buffer, count: number): number {
  for (let i = 0; i < count; i++) {
    const s = batchStarts[i];
    if (crc32cRange(buf, s, s + batchLengths[i]) !== batchCrcs[i] >>> 0) return i;
  }
  return -1;
}

/**
 * Puts back the framing bytes gatherBatch zeroed for gathered records from `from` on, so the bytes
 * after a damaged record are as on disk again (the caller resynchronises over them). Exact: every
 * gathered header passed its length CRC, and the stored data CRCs were saved.
 */
function restoreFraming(buf: Buffer, from: number, count: number): void {
  for (let i = from; i < count; i++) {
    const start = batchStarts[i];
    const len = batchLengths[i];
    buf.writeUInt32LE(len, start - 12);
    buf.writeUInt32LE(0, start - 8);
    buf.writeUInt32LE(maskedCrc32c8(buf, start - 12), start - 4);
    buf.writeUInt32LE(maskCrc(batchCrcs[i] >>> 0), start + len);
  }
}

/**
 * scanRecords with the same results, faster for many small records: checks each length CRC, then
 * checks the data CRCs of up to 8192 records at a time with one native call (see batch-crc.ts).
 * It zeroes the framing bytes of `buf` as it goes, so use it only on a buffer read for this purpose.
 */
export function scanRecordsInPlace(buf: Buffer, onRecord: (start: number, end: number) => void): ScanResult {
  let p = 0;
  while (true) {
    const g = gatherBatch(buf, p);
    const damaged = g.count > 0 && !batchMatches(buf, p, g.p, batchLengths, batchCrcs, g.count);
    const bad = damaged ? firstBadRecord(buf, g.count) : -1;
    const good = bad >= 0 ? bad : g.count;
    for (let i = 0; i < good; i++) onRecord(batchStarts[i], batchStarts[i] + batchLengths[i]);
    if (bad >= 0) {
      restoreFraming(buf, bad, g.count);
      return { consumed: batchStarts[bad] - 12, stop: { kind: 'corrupt', reason: 'data CRC mismatch' } };
    }
    p = g.p;
    if (g.big >= 0) {
      const start = p + 12;
      const end = start + g.big;
      if (maskedCrc32cRange(buf, start, end) !== buf.readUInt32LE(end)) {
        return { consumed: p, stop: { kind: 'corrupt', reason: 'data CRC mismatch' } };
      }
      onRecord(start, end);
      p = end + 4;
      continue;
    }
    if (g.stop) return { consumed: p, stop: g.stop };
  }
}

type ResyncPoint =
  /** An intact record (both CRCs match) starts at `at`. */
  | { kind: 'record'; at: number }
  /** A header with a matching length CRC starts at `at`, its record cut by the end of `buf`. */
  | { kind: 'partial'; at: number }
  /** No record header in [from, at); the header of a record at `at` or later is not complete yet. */
  | { kind: 'none'; at: number };

/**
 * After a damaged record: the first offset from `from` on where a record's length CRC and data
 * CRC both match, scanning byte by byte (a false match needs both 32-bit CRCs to agree by chance).
 * A candidate cut by the end of `buf` may be a record still being written, so the caller waits
 * there instead of skipping it.
 */
export function findResyncPoint(buf: Buffer, from: number): ResyncPoint {
  const n = buf.length;
  for (let p = from; p + 12 <= n; p++) {
    if (maskedCrc32c8(buf, p) !== u32(buf, p + 8)) continue;
    const len = u32(buf, p + 4) * 2 ** 32 + u32(buf, p);
    if (len > MAX_RECORD_BYTES) continue;
    const end = p + 12 + len;
    if (end + 4 > n) return { kind: 'partial', at: p };
    if (maskedCrc32cRange(buf, p + 12, end) === u32(buf, end)) return { kind: 'record', at: p };
  }
  return { kind: 'none', at: Math.max(from, n - 11) };
}
