// Decodes one Event record into RunData: scalar events in the common layout take the fast path
// (fast-scalar.ts); everything else is decoded with protobufjs and then follows TensorBoard's
// compat rules (doc §3.2, §4): simple_value is a scalar, the first metadata of a tag decides its
// plugin, legacy histo/image values are migrated.
import { EventMessage, toNumber } from '../format/protos.ts';
import type { DecodedEvent, DecodedHistogram, DecodedSummaryValue, DecodedTensor } from '../format/decoded.ts';
import { RunData, TagSeries, type HistogramBucket } from './run-data.ts';
import { tensorValues } from './tensor-values.ts';
import { EXPERIMENT_TAG } from '../format/hparams-plugin.ts';
import { decodeHParamsContent } from './hparams-decode.ts';
import { TagIndex } from './tag-index.ts';
import { readFastScalar } from './fast-scalar.ts';

const TO_OBJECT = { longs: Number, enums: Number, defaults: false, arrays: false } as const;

export class EventDecoder {
  private readonly index = new TagIndex();
  private dvBuf: Uint8Array | undefined;
  private dv: DataView | undefined;

  constructor(private readonly data: RunData) {}

  /** Decodes buf[start, end); throws on a malformed event (the caller warns and skips it). */
  decode(buf: Uint8Array, start: number, end: number): void {
    if (buf !== this.dvBuf) {
      this.dvBuf = buf;
      this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    if (!readFastScalar(buf, this.dv!, start, end, this.index)) this.general(buf.subarray(start, end));
    this.data.events++;
  }

  private general(bytes: Uint8Array): void {
    const ev = EventMessage.toObject(EventMessage.decode(bytes), TO_OBJECT) as DecodedEvent;
    if (ev.file_version !== undefined) this.data.fileVersion = ev.file_version;
    const step = toNumber(ev.step ?? 0);
    const wallTime = ev.wall_time ?? 0;
    for (const v of ev.summary?.value ?? []) this.value(v, step, wallTime);
  }

  private series(v: DecodedSummaryValue): TagSeries {
    // TensorBoard falls back to the legacy node_name when tag is empty.
    const tag: string = v.tag || v.node_name || '';
    let series = this.data.series.get(tag);
    if (!series) {
      const plugin: string =
        v.metadata?.plugin_data?.plugin_name ||
        (v.simple_value !== undefined
          ? 'scalars'
          : v.histo
            ? 'histograms'
            : v.image
              ? 'images'
              : v.audio
                ? 'audio'
                : '');
      series = new TagSeries(tag, plugin);
      this.data.series.set(tag, series);
      this.index.add(series);
    }
    return series;
  }

  private value(v: DecodedSummaryValue, step: number, wallTime: number): void {
    const series = this.series(v);
    switch (series.kind) {
      case 'scalars': {
        if (v.tensor) {
          const t = tensorValues(v.tensor);
          // Like make_ndarray(...).item(): only one-element numeric tensors are scalars.
          if (t.numbers && t.numbers.length === 1) series.scalars.push(step, wallTime, t.numbers[0]);
        } else if (v.simple_value !== undefined) series.scalars.push(step, wallTime, v.simple_value);
        return;
      }
      case 'histograms': {
        const buckets = v.tensor ? histogramFromTensor(v.tensor) : v.histo ? histogramFromLegacy(v.histo) : undefined;
        if (buckets) series.histograms.push({ step, wallTime, buckets });
        return;
      }
      case 'images':
        if (v.tensor) {
          const s = tensorValues(v.tensor).strings ?? [];
          const width = Number(Buffer.from(s[0] ?? []).toString());
          const height = Number(Buffer.from(s[1] ?? []).toString());
          // Copies: decoded bytes are views into the reader's (reused) buffer.
          for (let i = 2; i < s.length; i++)
            series.images.push({ step, wallTime, width, height, png: Uint8Array.from(s[i]), sample: i - 2 });
        } else if (v.image) {
          const im = v.image;
          series.images.push({
            step,
            wallTime,
            width: im.width ?? 0,
            height: im.height ?? 0,
            png: Uint8Array.from(im.encoded_image_string ?? []),
            sample: 0,
          });
        }
        return;
      case 'texts':
        if (v.tensor) {
          const t = tensorValues(v.tensor);
          const values = (t.strings ?? []).map((b) => Buffer.from(b).toString('utf8'));
          series.texts.push({ step, wallTime, text: values.join('\n'), values, shape: t.shape });
        }
        return;
      case 'hparams':
        series.otherCount++;
        this.hparams(series.tag, v.metadata?.plugin_data?.content);
        return;
      default:
        series.otherCount++;
    }
  }

  private hparams(tag: string, content: Uint8Array | undefined): void {
    const d = content ? decodeHParamsContent(content) : undefined;
    if (!d) return;
    const h = this.data.hparams;
    // As TensorBoard: the first session start and end of a run win (a status shown here is the one
    // TensorBoard shows); the experiment is the latest, since writeHparamsExperiment replaces it.
    if (d.kind === 'experiment' && tag === EXPERIMENT_TAG) h.experiment = d.experiment;
    else if (d.kind === 'sessionStart') h.sessionStart ??= d.sessionStart;
    else if (d.kind === 'sessionEnd') h.sessionEnd ??= d.sessionEnd;
  }
}

function histogramFromTensor(t: DecodedTensor): HistogramBucket[] | undefined {
  const v = tensorValues(t);
  if (!v.numbers || v.shape.length !== 2 || v.shape[1] !== 3) return undefined;
  const out: HistogramBucket[] = [];
  for (let i = 0; i + 2 < v.numbers.length; i += 3)
    out.push({ left: v.numbers[i], right: v.numbers[i + 1], count: v.numbers[i + 2] });
  return out;
}

/** TB data_compat._migrate_histogram_value: drop empty end buckets, left edges = [min, limits…]. */
function histogramFromLegacy(h: DecodedHistogram): HistogramBucket[] {
  const limits: number[] = (h.bucket_limit ?? []).map(toNumber);
  const counts: number[] = (h.bucket ?? []).map(toNumber);
  let first = 0;
  let last = counts.length - 1;
  while (first <= last && counts[first] === 0) first++;
  while (last >= first && counts[last] === 0) last--;
  const out: HistogramBucket[] = [];
  for (let i = first; i <= last; i++) {
    const left = i === first ? toNumber(h.min ?? 0) : limits[i - 1];
    const right = i === last ? toNumber(h.max ?? 0) : limits[i];
    out.push({ left, right, count: counts[i] });
  }
  return out;
}
