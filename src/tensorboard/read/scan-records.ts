// Reads TFRecord framing (the layout is described in format/record.ts): walks whole records,
// checking both CRCs, and says where and why it stopped.
import { maskedCrc32cRange, maskedCrc32c8, crc32cRange, unmaskCrc } from '../format/crc.ts';
import { batchMatches, BATCH_MAX_DATA_BYTES } from '../format/batch-crc.ts';
import { MAX_RECORD_BYTES } from '../format/record.ts';

type ScanStop = { kind: 'end' } | { kind: 'truncated' } | { kind: 'corrupt'; reason: string };

interface ScanResult {
  /** Bytes of `buf` consumed by whole, valid records. */
  consumed: number;
  stop: ScanStop;
}

/**
 * Walks the whole records in `buf`, calling `onRecord(start, end)` for each record's data after
 * both CRCs match. Stops at the first incomplete record (truncated: the caller retries later from
 * `consumed`) or at the first damaged one.
 */
export function scanRecords(buf: Buffer, onRecord: (start: number, end: number) => void): ScanResult {
  let p = 0;
  const n = buf.length;
  while (true) {
    if (p === n) return { consumed: p, stop: { kind: 'end' } };
    if (n - p < 12) return { consumed: p, stop: { kind: 'truncated' } };
    if (maskedCrc32cRange(buf, p, p + 8) !== buf.readUInt32LE(p + 8)) {
      return { consumed: p, stop: { kind: 'corrupt', reason: 'length CRC mismatch' } };
    }
    const len = buf.readUInt32LE(p + 4) * 2 ** 32 + buf.readUInt32LE(p);
    if (len > MAX_RECORD_BYTES) {
      return { consumed: p, stop: { kind: 'corrupt', reason: `implausible record length ${len}` } };
    }
    const start = p + 12;
    const end = start + len;
    if (end + 4 > n) return { consumed: p, stop: { kind: 'truncated' } };
    if (maskedCrc32cRange(buf, start, end) !== buf.readUInt32LE(end)) {
      return { consumed: p, stop: { kind: 'corrupt', reason: 'data CRC mismatch' } };
    }
    onRecord(start, end);
    p = end + 4;
  }
}

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
    if (bad >= 0) return { consumed: batchStarts[bad] - 12, stop: { kind: 'corrupt', reason: 'data CRC mismatch' } };
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
