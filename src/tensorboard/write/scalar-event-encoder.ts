// Hot path for scalar events. protobufjs encodes each tag's Summary.Value once (with a sentinel
// in the 4 tensor_content bytes); every event then copies those bytes, patches the float, and adds
// the Event envelope (wall_time, step, summary) around it. Tests check the output is byte-for-byte
// what EventMessage.encode produces for the same event.
import { SummaryValueMessage } from '../format/protos.ts';
import { scalarValue } from './summaries.ts';
import type { RecordBuffer } from '../format/record.ts';

const SENTINEL = [0xf1, 0xf2, 0xf3, 0xf4]; // cannot occur inside a valid UTF-8 tag

interface Template {
  value: Buffer;
  floatAt: number;
}

function varintLength(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

function writeVarint(buf: Buffer, p: number, v: number): number {
  while (v >= 0x80) {
    buf[p++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  buf[p++] = v;
  return p;
}

export class ScalarEventEncoder {
  private readonly templates = new Map<string, Template>();

  private template(tag: string): Template {
    let t = this.templates.get(tag);
    if (!t) {
      const v = scalarValue(tag, 0);
      (v.tensor as { tensor_content: Uint8Array }).tensor_content = Uint8Array.from(SENTINEL);
      const value = Buffer.from(SummaryValueMessage.encode(v).finish());
      const floatAt = value.lastIndexOf(Buffer.from(SENTINEL));
      t = { value, floatAt };
      this.templates.set(tag, t);
    }
    return t;
  }

  /** Appends one framed scalar event; `step` must be a non-negative safe integer. */
  append(out: RecordBuffer, tag: string, value: number, step: number, wallTime: number): void {
    const t = this.template(tag);
    const vLen = t.value.length;
    const sumLen = 1 + varintLength(vLen) + vLen;
    const max = 9 + 11 + 1 + 5 + sumLen;
    let p = out.reserve(max);
    const start = p;
    const buf = out.buf;
    // protobufjs leaves out proto3 zero values; so do we, to stay byte-identical.
    if (wallTime !== 0) {
      buf[p++] = 0x09;
      buf.writeDoubleLE(wallTime, p);
      p += 8;
    }
    if (step !== 0) {
      buf[p++] = 0x10;
      p = writeVarint(buf, p, step);
    }
    buf[p++] = 0x2a;
    p = writeVarint(buf, p, sumLen);
    buf[p++] = 0x0a;
    p = writeVarint(buf, p, vLen);
    const v = t.value;
    for (let i = 0; i < vLen; i++) buf[p + i] = v[i];
    buf.writeFloatLE(value, p + t.floatAt);
    p += vLen;
    out.commit(p - start);
  }
}
