// Decodes one Event record into RunData. The envelope, Summary.Value header and scalar tensors are
// read straight off the wire (the hot path: millions of scalar events); every other value is
// decoded with protobufjs. Compat rules follow TensorBoard (doc §3.2, §4): simple_value is a
// scalar, the first metadata of a tag decides its plugin, legacy histo/image are migrated.
import { SummaryValueMessage, DT, toNumber } from './protos.ts';
import { RunData, TagSeries } from './run-data.ts';
import { tensorValues, halfToNumber, bfloat16ToNumber } from './tensor-values.ts';
import { decodeHParamsContent, EXPERIMENT_TAG } from './hparams.ts';

export class MalformedEvent extends Error {}

let p = 0;

function varint(buf: Buffer): number {
  let b = buf[p++];
  if (b < 0x80) return b;
  let r = b & 0x7f;
  let mul = 0x80;
  for (let i = 1; i < 10; i++) {
    b = buf[p++];
    if (b === undefined) throw new MalformedEvent('varint runs past the end');
    r += (b & 0x7f) * mul;
    if (b < 0x80) return r;
    mul *= 0x80;
  }
  throw new MalformedEvent('varint longer than 10 bytes');
}

/** int64 read as a double; two's-complement negatives come back negative. */
function int64(buf: Buffer): number {
  const start = p;
  const v = varint(buf);
  if (v < 2 ** 53) return v;
  // Beyond double precision (negative steps are 10-byte two's complement): redo it exactly.
  let big = 0n;
  for (let i = p - 1; i >= start; i--) big = (big << 7n) | BigInt(buf[i] & 0x7f);
  return Number(BigInt.asIntN(64, big));
}

function skip(buf: Buffer, wt: number): void {
  switch (wt) {
    case 0: varint(buf); return;
    case 1: p += 8; return;
    case 2: { const len = varint(buf); p += len; return; }
    case 5: p += 4; return;
    default: throw new MalformedEvent(`unsupported wire type ${wt}`);
  }
}

function lenField(buf: Buffer, end: number): number {
  const len = varint(buf);
  const e = p + len;
  if (e > end) throw new MalformedEvent('field runs past its message');
  return e;
}

const TO_OBJECT = { longs: Number, enums: Number, defaults: false, arrays: false } as const;

export class EventDecoder {
  /** Tag bytes → series without building a string per event: hash, then compare bytes. */
  private readonly byHash = new Map<number, { bytes: Buffer; series: TagSeries }[]>();

  constructor(private readonly data: RunData) {}

  private static hash(buf: Buffer, s: number, e: number): number {
    let h = (e - s) | 0;
    for (let i = s; i < e; i++) h = Math.imul(h ^ buf[i], 0x01000193);
    return h;
  }

  /** Direct-mapped cache in front of lookup(): a few sampled bytes pick the slot, then a full compare. */
  private readonly recentBytes: (Buffer | undefined)[] = new Array(64).fill(undefined);
  private readonly recentSeries: (TagSeries | undefined)[] = new Array(64).fill(undefined);

  private lookupRecent(buf: Buffer, s: number, e: number): TagSeries | undefined {
    const n = e - s;
    const slot = n === 0 ? 0 : (n * 7 + buf[s] * 31 + buf[e - 1] * 131 + buf[s + (n >> 1)] * 17) & 63;
    const b = this.recentBytes[slot];
    if (b !== undefined && b.length === n) {
      let i = 0;
      while (i < n && b[i] === buf[s + i]) i++;
      if (i === n) return this.recentSeries[slot];
    }
    const series = this.lookup(buf, s, e);
    if (series !== undefined) {
      this.recentBytes[slot] = Buffer.from(buf.subarray(s, e));
      this.recentSeries[slot] = series;
    }
    return series;
  }

  private lookup(buf: Buffer, s: number, e: number): TagSeries | undefined {
    const list = this.byHash.get(EventDecoder.hash(buf, s, e));
    if (!list) return undefined;
    const n = e - s;
    for (const c of list) {
      const b = c.bytes;
      if (b.length !== n) continue;
      let i = 0;
      while (i < n && b[i] === buf[s + i]) i++;
      if (i === n) return c.series;
    }
    return undefined;
  }

  private remember(series: TagSeries, buf: Buffer, s: number, e: number): void {
    const h = EventDecoder.hash(buf, s, e);
    const list = this.byHash.get(h) ?? [];
    list.push({ bytes: Buffer.from(buf.subarray(s, e)), series });
    this.byHash.set(h, list);
  }

  private dvBuf: Buffer | undefined;
  private dv: DataView | undefined;

  decode(buf: Buffer, start: number, end: number): void {
    if (buf !== this.dvBuf) {
      this.dvBuf = buf;
      this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    if (this.fastScalar(buf, this.dv!, start, end)) {
      this.data.events++;
      return;
    }
    this.general(buf, start, end);
  }

  /**
   * The exact layout of a one-value scalar event as TF, Keras and our writer emit it (fields in
   * number order: wall_time, step, summary{value{tag, tensor|simple_value, metadata}}), for a tag
   * already known to be a scalar. Anything else returns false and takes the general path.
   */
  private fastScalar(buf: Buffer, dv: DataView, start: number, end: number): boolean {
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
      let b = 0;
      do {
        b = buf[q++];
        step += (b & 0x7f) * mul;
        mul *= 0x80;
      } while (b >= 0x80 && mul < 2 ** 49);
      if (b >= 0x80) return false;
    }
    if (buf[q] !== 0x2a) return false;
    let len = buf[q + 1];
    if (len >= 0x80) return false;
    q += 2;
    if (q + len !== end || buf[q] !== 0x0a) return false;
    len = buf[q + 1];
    if (len >= 0x80) return false;
    q += 2;
    if (q + len !== end || buf[q] !== 0x0a) return false;
    const tagLen = buf[q + 1];
    if (tagLen >= 0x80) return false;
    const tagS = q + 2;
    const tagE = tagS + tagLen;
    q = tagE;
    let value: number;
    if (buf[q] === 0x42 && buf[q + 1] === 0x0a && buf[q + 2] === 0x08 && buf[q + 3] === 0x01 && buf[q + 4] === 0x12 &&
      buf[q + 5] === 0x00 && buf[q + 6] === 0x22 && buf[q + 7] === 0x04) {
      value = dv.getFloat32(q + 8, true);
      q += 12;
    } else if (buf[q] === 0x15) {
      value = dv.getFloat32(q + 1, true);
      q += 5;
    } else return false;
    if (q < end) {
      if (buf[q] !== 0x4a) return false;
      const mLen = buf[q + 1];
      if (mLen >= 0x80) return false;
      q += 2 + mLen;
    }
    if (q !== end) return false;
    const series = this.lookupRecent(buf, tagS, tagE);
    if (series === undefined || series.kind !== 'scalars') return false;
    series.scalars.push(step, wall, value);
    return true;
  }

  private general(buf: Buffer, start: number, end: number): void {
    p = start;
    let wall = 0;
    let step = 0;
    let sumStart = -1;
    let sumEnd = -1;
    while (p < end) {
      const key = varint(buf);
      const field = key >>> 3;
      const wt = key & 7;
      if (field === 1 && wt === 1) {
        wall = buf.readDoubleLE(p);
        p += 8;
      } else if (field === 2 && wt === 0) step = int64(buf);
      else if (field === 5 && wt === 2) {
        const e = lenField(buf, end);
        sumStart = p;
        sumEnd = e;
        p = e;
      } else if (field === 3 && wt === 2) {
        const e = lenField(buf, end);
        this.data.fileVersion = buf.toString('utf8', p, e);
        p = e;
      } else skip(buf, wt);
    }
    if (p !== end) throw new MalformedEvent('event runs past its record');
    this.data.events++;
    if (sumStart < 0) return;
    p = sumStart;
    while (p < sumEnd) {
      const key = varint(buf);
      if (key === 0x0a) {
        const e = lenField(buf, sumEnd);
        this.value(buf, p, e, step, wall);
        p = e;
      } else skip(buf, key & 7);
    }
  }

  private value(buf: Buffer, start: number, end: number, step: number, wall: number): void {
    let tagS = -1, tagE = -1, nodeS = -1, nodeE = -1, metaS = -1, metaE = -1, tensorS = -1, tensorE = -1;
    let simple = 0;
    let hasSimple = false;
    let legacy = 0; // field number of a legacy oneof member (histo 5, image 4, audio 6, old histogram 3)
    while (p < end) {
      const key = varint(buf);
      const field = key >>> 3;
      const wt = key & 7;
      if (wt === 2) {
        const e = lenField(buf, end);
        if (field === 1) { tagS = p; tagE = e; }
        else if (field === 9) { metaS = p; metaE = e; }
        else if (field === 8) { tensorS = p; tensorE = e; hasSimple = false; legacy = 0; }
        else if (field === 7) { nodeS = p; nodeE = e; }
        else if (field >= 3 && field <= 6) { legacy = field; hasSimple = false; tensorS = -1; }
        p = e;
      } else if (field === 2 && wt === 5) {
        simple = buf.readFloatLE(p);
        p += 4;
        hasSimple = true;
        tensorS = -1;
        legacy = 0;
      } else skip(buf, wt);
    }
    if (p !== end) throw new MalformedEvent('summary value runs past its message');
    // TensorBoard falls back to the legacy node_name when tag is empty.
    if (tagE <= tagS && nodeS >= 0) { tagS = nodeS; tagE = nodeE; }
    if (tagS < 0) tagS = tagE = start;
    let series = this.lookup(buf, tagS, tagE);
    if (!series) {
      const tag = buf.toString('utf8', tagS, tagE);
      const plugin = (metaS >= 0 ? pluginName(buf, metaS, metaE) : '') ||
        (hasSimple ? 'scalars' : legacy === 5 ? 'histograms' : legacy === 4 ? 'images' : legacy === 6 ? 'audio' : '');
      series = this.data.series.get(tag);
      if (!series) {
        series = new TagSeries(tag, plugin);
        this.data.series.set(tag, series);
      }
      this.remember(series, buf, tagS, tagE);
    }
    switch (series.kind) {
      case 'scalars':
        if (hasSimple) series.scalars.push(step, wall, simple);
        else if (tensorS >= 0) {
          // The layout TF2, Keras and our writer use: dtype FLOAT, empty shape, 4 content bytes.
          if (tensorE - tensorS === 10 && buf[tensorS] === 0x08 && buf[tensorS + 1] === 0x01 && buf[tensorS + 2] === 0x12 &&
            buf[tensorS + 3] === 0x00 && buf[tensorS + 4] === 0x22 && buf[tensorS + 5] === 0x04) {
            series.scalars.push(step, wall, buf.readFloatLE(tensorS + 6));
            return;
          }
          const v = scalarFromTensor(buf, tensorS, tensorE);
          if (scalarOk) series.scalars.push(step, wall, v);
          else this.generic(buf, start, end, series, step, wall);
        }
        return;
      case 'hparams':
        this.hparams(buf, metaS, metaE, series);
        return;
      case 'other':
        series.otherCount++;
        return;
      default:
        this.generic(buf, start, end, series, step, wall);
    }
  }

  /** Histograms, images, text and unusual scalars: full protobufjs decode of the Summary.Value. */
  private generic(buf: Buffer, start: number, end: number, series: TagSeries, step: number, wallTime: number): void {
    const saved = p;
    const v = SummaryValueMessage.toObject(SummaryValueMessage.decode(buf.subarray(start, end)), TO_OBJECT) as Record<string, any>;
    p = saved;
    if (series.kind === 'scalars') {
      const t = v.tensor ? tensorValues(v.tensor) : undefined;
      if (t?.numbers && t.numbers.length === 1) series.scalars.push(step, wallTime, t.numbers[0]);
    } else if (series.kind === 'histograms') {
      const buckets = v.tensor ? histogramFromTensor(v.tensor) : v.histo ? histogramFromLegacy(v.histo) : undefined;
      if (buckets) series.histograms.push({ step, wallTime, buckets });
    } else if (series.kind === 'images') {
      if (v.tensor) {
        const t = tensorValues(v.tensor);
        const s = t.strings ?? [];
        const width = Number(Buffer.from(s[0] ?? []).toString());
        const height = Number(Buffer.from(s[1] ?? []).toString());
        for (let i = 2; i < s.length; i++) series.images.push({ step, wallTime, width, height, png: s[i], sample: i - 2 });
      } else if (v.image) {
        const im = v.image;
        series.images.push({ step, wallTime, width: im.width ?? 0, height: im.height ?? 0, png: im.encoded_image_string ?? new Uint8Array(0), sample: 0 });
      }
    } else if (series.kind === 'texts' && v.tensor) {
      const t = tensorValues(v.tensor);
      const values = (t.strings ?? []).map((b) => Buffer.from(b).toString('utf8'));
      series.texts.push({ step, wallTime, text: values.join('\n'), values, shape: t.shape });
    }
  }

  private hparams(buf: Buffer, metaS: number, metaE: number, series: TagSeries): void {
    const tag = series.tag;
    if (metaS < 0) return;
    const saved = p;
    const content = pluginContent(buf, metaS, metaE);
    p = saved;
    const d = decodeHParamsContent(content);
    const h = this.data.hparams;
    series.otherCount++;
    if (!d) return;
    // TensorBoard keeps the first session start; the experiment and end status are taken from
    // the latest record so a replaced experiment or a final status wins in live views.
    if (d.kind === 'experiment' && tag === EXPERIMENT_TAG) h.experiment = d.experiment;
    else if (d.kind === 'sessionStart') h.sessionStart ??= d.sessionStart;
    else if (d.kind === 'sessionEnd') h.sessionEnd = d.sessionEnd;
  }
}

/** SummaryMetadata → plugin_data → plugin_name, read off the wire. */
function pluginName(buf: Buffer, start: number, end: number): string {
  const r = pluginDataField(buf, start, end, 1);
  return r ? buf.toString('utf8', r[0], r[1]) : '';
}

function pluginContent(buf: Buffer, start: number, end: number): Uint8Array {
  const r = pluginDataField(buf, start, end, 2);
  return r ? buf.subarray(r[0], r[1]) : new Uint8Array(0);
}

function pluginDataField(buf: Buffer, start: number, end: number, want: number): [number, number] | undefined {
  const saved = p;
  try {
    p = start;
    let pdS = -1, pdE = -1;
    while (p < end) {
      const key = varint(buf);
      if (key === 0x0a) { pdE = lenField(buf, end); pdS = p; p = pdE; } else skip(buf, key & 7);
    }
    if (pdS < 0) return undefined;
    p = pdS;
    let found: [number, number] | undefined;
    while (p < pdE) {
      const key = varint(buf);
      if (key === ((want << 3) | 2)) { const e = lenField(buf, pdE); found = [p, e]; p = e; } else skip(buf, key & 7);
    }
    return found;
  } finally {
    p = saved;
  }
}

let scalarOk = false;

/** One-element numeric tensor → its value; sets scalarOk=false for anything else (→ generic path). */
function scalarFromTensor(buf: Buffer, start: number, end: number): number {
  const saved = p;
  scalarOk = false;
  p = start;
  let dtype = 0;
  let elements = 1;
  let cS = -1, cE = -1;
  let valField = 0, valS = -1, valE = -1, valWt = 0;
  while (p < end) {
    const key = varint(buf);
    const field = key >>> 3;
    const wt = key & 7;
    if (field === 1 && wt === 0) dtype = varint(buf);
    else if (field === 2 && wt === 2) {
      const e = lenField(buf, end);
      while (p < e) {
        const k = varint(buf);
        if (k === 0x12) {
          const de = lenField(buf, e);
          let size = 0;
          while (p < de) {
            const dk = varint(buf);
            if (dk === 0x08) size = int64(buf); else skip(buf, dk & 7);
          }
          elements *= size;
        } else skip(buf, k & 7);
      }
    } else if (field === 4 && wt === 2) { cE = lenField(buf, end); cS = p; p = cE; }
    else if (field >= 5 && field <= 17 && field !== 8) {
      valField = field;
      valWt = wt;
      valS = p;
      skip(buf, wt);
      valE = p;
    } else skip(buf, wt);
  }
  p = saved;
  if (elements !== 1) return 0;
  if (cS >= 0 && cE > cS) {
    const n = cE - cS;
    scalarOk = true;
    if (dtype === DT.FLOAT && n === 4) return buf.readFloatLE(cS);
    if (dtype === DT.DOUBLE && n === 8) return buf.readDoubleLE(cS);
    if (dtype === DT.INT32 && n === 4) return buf.readInt32LE(cS);
    if (dtype === DT.INT64 && n === 8) return Number(buf.readBigInt64LE(cS));
    if (dtype === DT.HALF && n === 2) return halfToNumber(buf.readUInt16LE(cS));
    if (dtype === DT.BFLOAT16 && n === 2) return bfloat16ToNumber(buf.readUInt16LE(cS));
    scalarOk = false;
    return 0;
  }
  // One unpacked element of the typed field matching the dtype.
  if (dtype === DT.FLOAT && valField === 5) {
    scalarOk = true;
    if (valWt === 5) return buf.readFloatLE(valS);
    if (valWt === 2 && valE - valS === 5) return buf.readFloatLE(valS + 1);
    scalarOk = false;
  } else if (dtype === DT.DOUBLE && valField === 6) {
    scalarOk = true;
    if (valWt === 1) return buf.readDoubleLE(valS);
    if (valWt === 2 && valE - valS === 9) return buf.readDoubleLE(valS + 1);
    scalarOk = false;
  }
  return 0;
}

function histogramFromTensor(t: Record<string, any>): { left: number; right: number; count: number }[] | undefined {
  const v = tensorValues(t);
  if (!v.numbers || v.shape.length !== 2 || v.shape[1] !== 3) return undefined;
  const out = [];
  for (let i = 0; i + 2 < v.numbers.length; i += 3) out.push({ left: v.numbers[i], right: v.numbers[i + 1], count: v.numbers[i + 2] });
  return out;
}

/** TB data_compat._migrate_histogram_value: drop empty end buckets, left edges = [min, limits…]. */
function histogramFromLegacy(h: Record<string, any>): { left: number; right: number; count: number }[] {
  const limits: number[] = (h.bucket_limit ?? []).map(toNumber);
  const counts: number[] = (h.bucket ?? []).map(toNumber);
  let first = 0;
  let last = counts.length - 1;
  while (first <= last && counts[first] === 0) first++;
  while (last >= first && counts[last] === 0) last--;
  const out = [];
  for (let i = first; i <= last; i++) {
    const left = i === first ? toNumber(h.min ?? 0) : limits[i - 1];
    const right = i === last ? toNumber(h.max ?? 0) : limits[i];
    out.push({ left, right, count: counts[i] });
  }
  return out;
}
