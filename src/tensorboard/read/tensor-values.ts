// TensorProto → values, following TB's make_ndarray: non-empty tensor_content wins, otherwise the
// typed repeated field, and a single element is repeated to fill the shape.
import { DT, toNumber } from '../format/protos.ts';
import type { DecodedTensor } from '../format/decoded.ts';

interface TensorValues {
  dtype: number;
  shape: number[];
  numbers?: Float64Array;
  strings?: Uint8Array[];
}

function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function bfloat16ToNumber(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0];
}

const ELEMENT_BYTES: Record<number, number> = {
  [DT.FLOAT]: 4,
  [DT.DOUBLE]: 8,
  [DT.INT32]: 4,
  [DT.UINT8]: 1,
  [DT.INT16]: 2,
  [DT.INT8]: 1,
  [DT.INT64]: 8,
  [DT.BOOL]: 1,
  [DT.BFLOAT16]: 2,
  [DT.UINT16]: 2,
  [DT.HALF]: 2,
  [DT.UINT32]: 4,
  [DT.UINT64]: 8,
};

function readElement(dv: DataView, dtype: number, off: number): number {
  switch (dtype) {
    case DT.FLOAT:
      return dv.getFloat32(off, true);
    case DT.DOUBLE:
      return dv.getFloat64(off, true);
    case DT.INT32:
      return dv.getInt32(off, true);
    case DT.UINT8:
      return dv.getUint8(off);
    case DT.INT16:
      return dv.getInt16(off, true);
    case DT.INT8:
      return dv.getInt8(off);
    case DT.INT64:
      return Number(dv.getBigInt64(off, true));
    case DT.BOOL:
      return dv.getUint8(off) ? 1 : 0;
    case DT.BFLOAT16:
      return bfloat16ToNumber(dv.getUint16(off, true));
    case DT.UINT16:
      return dv.getUint16(off, true);
    case DT.HALF:
      return halfToNumber(dv.getUint16(off, true));
    case DT.UINT32:
      return dv.getUint32(off, true);
    case DT.UINT64:
      return Number(dv.getBigUint64(off, true));
    default:
      return NaN;
  }
}

/** Decodes raw little-endian tensor_content; undefined for dtypes that are not plain numbers. */
function decodeTensorContent(dtype: number, bytes: Uint8Array): Float64Array | undefined {
  const size = ELEMENT_BYTES[dtype];
  if (!size) return undefined;
  const n = Math.floor(bytes.length / size);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = readElement(dv, dtype, i * size);
  return out;
}

function typedField(t: DecodedTensor, dtype: number): number[] | undefined {
  const pick = <T>(a: T[] | undefined, f: (v: T) => number = toNumber) => (a && a.length ? a.map(f) : undefined);
  switch (dtype) {
    case DT.FLOAT:
      return pick(t.float_val);
    case DT.DOUBLE:
      return pick(t.double_val);
    case DT.INT32:
    case DT.UINT8:
    case DT.INT16:
    case DT.INT8:
    case DT.UINT16:
      return pick(t.int_val);
    case DT.INT64:
      return pick(t.int64_val);
    case DT.BOOL:
      return pick(t.bool_val, (v) => (v ? 1 : 0));
    case DT.HALF:
      return pick(t.half_val, halfToNumber);
    case DT.BFLOAT16:
      return pick(t.half_val, bfloat16ToNumber);
    case DT.UINT32:
      return pick(t.uint32_val);
    case DT.UINT64:
      return pick(t.uint64_val);
    default:
      return undefined;
  }
}

export function tensorValues(t: DecodedTensor): TensorValues {
  const dtype = t.dtype ?? 0;
  const shape = (t.tensor_shape?.dim ?? []).map((d) => toNumber(d.size ?? 0));
  const count = shape.reduce((a, b) => a * b, 1);
  if (dtype === DT.STRING) {
    const strings = t.string_val ?? [];
    return { dtype, shape, strings: strings.length === 1 && count > 1 ? Array(count).fill(strings[0]) : strings };
  }
  const content = t.tensor_content;
  let numbers: Float64Array | undefined;
  if (content && content.length > 0) numbers = decodeTensorContent(dtype, content);
  else {
    const vals = typedField(t, dtype);
    if (vals)
      numbers = vals.length === 1 && count > 1 ? new Float64Array(count).fill(vals[0]) : Float64Array.from(vals);
    else numbers = new Float64Array(0);
  }
  return { dtype, shape, numbers };
}
