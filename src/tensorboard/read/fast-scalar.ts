// The reader's hot path: a one-value scalar event in the exact layout TF, Keras and our writer
// emit (fields in number order: wall_time, step, summary{value{tag, tensor|simple_value,
// metadata}}), for a tag already known to be a scalar, read straight off the wire. Anything else
// returns false and is decoded with protobufjs.
import type { TagIndex } from './tag-index.ts';

export function readFastScalar(buf: Uint8Array, dv: DataView, start: number, end: number, index: TagIndex): boolean {
  let q = start;
  let wall = 0;
  let step = 0;
  if (buf[q] === 0x09) {
    wall = dv.getFloat64(q + 1, true);
    q += 9;
  }
  if (buf[q] === 0x10) {
    q++;
    let mul = 1;
    let b: number;
    do {
      b = buf[q++];
      step += (b & 0x7f) * mul;
      mul *= 0x80;
    } while (b >= 0x80 && mul < 2 ** 49);
    if (b >= 0x80) return false; // beyond 2^49 or negative: the general path handles it exactly
  }
  // summary (field 5), its single value (field 1) and the tag (field 1), each with a 1-byte length
  if (buf[q] !== 0x2a || buf[q + 1] >= 0x80 || q + 2 + buf[q + 1] !== end) return false;
  q += 2;
  if (buf[q] !== 0x0a || buf[q + 1] >= 0x80 || q + 2 + buf[q + 1] !== end) return false;
  q += 2;
  if (buf[q] !== 0x0a || buf[q + 1] >= 0x80) return false;
  const tagS = q + 2;
  const tagE = tagS + buf[q + 1];
  q = tagE;
  let value: number;
  if (
    buf[q] === 0x42 &&
    buf[q + 1] === 0x0a &&
    buf[q + 2] === 0x08 &&
    buf[q + 3] === 0x01 &&
    buf[q + 4] === 0x12 &&
    buf[q + 5] === 0x00 &&
    buf[q + 6] === 0x22 &&
    buf[q + 7] === 0x04
  ) {
    // tensor{dtype: DT_FLOAT, tensor_shape: {}, tensor_content: 4 bytes}
    value = dv.getFloat32(q + 8, true);
    q += 12;
  } else if (buf[q] === 0x15) {
    value = dv.getFloat32(q + 1, true); // simple_value
    q += 5;
  } else return false;
  if (q < end) {
    if (buf[q] !== 0x4a || buf[q + 1] >= 0x80) return false; // metadata, ignored after the tag's first value
    q += 2 + buf[q + 1];
  }
  if (q !== end) return false;
  const series = index.get(buf, tagS, tagE);
  if (series === undefined || series.kind !== 'scalars') return false;
  series.scalars.push(step, wall, value);
  return true;
}
