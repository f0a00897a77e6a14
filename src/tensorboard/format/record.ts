// TFRecord framing. Each record on disk is, all integers little-endian:
//   uint64 length
//   uint32 masked crc32c of the 8 length bytes
//   byte   data[length]
//   uint32 masked crc32c of data
// ("masked" = crc.ts's maskCrc). This module writes records; read/scan-records.ts reads them.
import { maskedCrc32cRange, maskedCrc32c8 } from './crc.ts';

const RECORD_OVERHEAD = 16;
/** Lengths above this are treated as damage even with a matching CRC (no real event is that big). */
export const MAX_RECORD_BYTES = 2 ** 31;

function putU32(b: Uint8Array, p: number, v: number): void {
  b[p] = v & 0xff;
  b[p + 1] = (v >>> 8) & 0xff;
  b[p + 2] = (v >>> 16) & 0xff;
  b[p + 3] = v >>> 24;
}

/** Appends whole framed records into one growing buffer, so a flush writes only whole records. */
export class RecordBuffer {
  buf: Buffer;
  length = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  append(data: Uint8Array): void {
    const at = this.reserve(data.length);
    this.buf.set(data, at);
    this.commit(data.length);
  }

  /** Makes room for a record of up to `maxDataBytes` and returns where its data goes. */
  reserve(maxDataBytes: number): number {
    const need = this.length + maxDataBytes + RECORD_OVERHEAD;
    if (need > this.buf.length) this.grow(need);
    return this.length + 12;
  }

  /** Frames the `dataBytes` written at the reserved position. */
  commit(dataBytes: number): void {
    const buf = this.buf;
    const p = this.length;
    putU32(buf, p, dataBytes >>> 0);
    putU32(buf, p + 4, Math.floor(dataBytes / 2 ** 32));
    putU32(buf, p + 8, maskedCrc32c8(buf, p));
    const end = p + 12 + dataBytes;
    putU32(buf, end, maskedCrc32cRange(buf, p + 12, end));
    this.length = end + 4;
  }

  /** Hands over the bytes written so far and starts an empty buffer. */
  take(): Buffer {
    const out = this.buf.subarray(0, this.length);
    this.buf = Buffer.allocUnsafe(Math.max(64 * 1024, Math.min(this.buf.length, 8 * 1024 * 1024)));
    this.length = 0;
    return out;
  }

  private grow(need: number): void {
    const next = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
}

export function frameRecord(data: Uint8Array): Buffer {
  const rb = new RecordBuffer(data.length + RECORD_OVERHEAD);
  rb.append(data);
  return rb.take();
}
