// Checks the data CRCs of many small records with one native CRC-32C call instead of one table
// CRC per record. CRC is linear: after the caller zeroes each record's 12-byte header and 4-byte
// trailer (having checked the length CRC and saved the stored data CRC), the CRC-32C of the whole
// range is a fixed function of the stored data CRCs and lengths. Running that function per record
// costs two 4-lookup operator applications; a mismatch means at least one record is damaged, and
// the caller then checks the batch record by record. A single damaged record is always caught
// (the shift operators are invertible); damage in several records cancels with odds ~2^-32.
import { crc32c } from '@node-rs/crc32';

const POLY = 0x82f63b78;
const T = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  T[i] = c;
}

/** Linear operator "feed n zero bytes into the CRC register" as four 256-entry tables. */
function zeroShiftTables(n: number): Int32Array {
  const basis = new Int32Array(32);
  for (let j = 0; j < 32; j++) {
    let c = 1 << j;
    for (let i = 0; i < n; i++) c = T[c & 0xff] ^ (c >>> 8);
    basis[j] = c;
  }
  const t = new Int32Array(1024);
  for (let k = 0; k < 4; k++) {
    for (let v = 1; v < 256; v++)
      t[k * 256 + v] = t[k * 256 + (v & (v - 1))] ^ basis[8 * k + (31 - Math.clz32(v & -v))];
  }
  return t;
}

function apply(t: Int32Array, x: number): number {
  return t[x & 0xff] ^ t[256 + ((x >>> 8) & 0xff)] ^ t[512 + ((x >>> 16) & 0xff)] ^ t[768 + (x >>> 24)];
}

const SHIFT4 = zeroShiftTables(4);
/** Per data length L: shift by L+16 bytes (header + data + trailer) and the constant term. */
export const BATCH_MAX_DATA_BYTES = 1024;
const shifts: (Int32Array | undefined)[] = new Array(BATCH_MAX_DATA_BYTES + 1);
const constants = new Int32Array(BATCH_MAX_DATA_BYTES + 1);

function shiftFor(len: number): Int32Array {
  let t = shifts[len];
  if (t === undefined) {
    t = zeroShiftTables(len + 16);
    constants[len] = apply(zeroShiftTables(len + 4), -1);
    shifts[len] = t;
  }
  return t;
}

/**
 * True when the CRC-32C of buf[start, end) (headers and trailers already zeroed) matches what the
 * records' stored data CRCs (unmasked) and lengths imply.
 */
export function batchMatches(
  buf: Uint8Array,
  start: number,
  end: number,
  lengths: Int32Array,
  crcs: Int32Array,
  count: number,
): boolean {
  let s = -1;
  for (let i = 0; i < count; i++) {
    const len = lengths[i];
    s = apply(shiftFor(len), s) ^ constants[len] ^ apply(SHIFT4, ~crcs[i]);
  }
  return ~s >>> 0 === crc32c(buf.subarray(start, end)) >>> 0;
}
