// Builders for Summary.Value objects in the form TF2 / Keras write (tensor form plus plugin metadata).
import { DT, DataClass } from '../format/protos.ts';
import { histogramBuckets, DEFAULT_BUCKET_COUNT } from './histogram-buckets.ts';

export type SummaryValue = Record<string, unknown>;

function metadata(pluginName: string, dataClass: number, content?: Uint8Array): SummaryValue {
  return {
    plugin_data: content ? { plugin_name: pluginName, content } : { plugin_name: pluginName },
    data_class: dataClass,
  };
}

const scalarMetadata = metadata('scalars', DataClass.SCALAR);
const histogramMetadata = metadata('histograms', DataClass.TENSOR);
const imageMetadata = metadata('images', DataClass.BLOB_SEQUENCE);
const textMetadata = metadata('text', DataClass.TENSOR);
const rank0 = {};

function shape(dims: number[]): SummaryValue {
  return { dim: dims.map((size) => ({ size })) };
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** float32 rank-0 tensor with `scalars` metadata, value in 4 bytes of tensor_content. */
export function scalarValue(tag: string, value: number): SummaryValue {
  const content = new Uint8Array(4);
  new DataView(content.buffer).setFloat32(0, value, true);
  return { tag, metadata: scalarMetadata, tensor: { dtype: DT.FLOAT, tensor_shape: rank0, tensor_content: content } };
}

/** float64 [k, 3] tensor of [left, right, count] rows with `histograms` metadata. */
export function histogramValue(
  tag: string,
  values: ArrayLike<number>,
  bucketCount = DEFAULT_BUCKET_COUNT,
): SummaryValue {
  const rows = histogramBuckets(values, bucketCount);
  const k = rows.length / 3;
  // tensor_content is little-endian; Float64Array is platform-endian, which is LE on every Node target.
  return {
    tag,
    metadata: histogramMetadata,
    tensor: { dtype: DT.DOUBLE, tensor_shape: shape([k, 3]), tensor_content: bytesOf(rows) },
  };
}

/** DT_STRING rank-1 tensor [width, height, png] with `images` metadata. */
export function imageValue(tag: string, png: Uint8Array, width: number, height: number): SummaryValue {
  const enc = new TextEncoder();
  return {
    tag,
    metadata: imageMetadata,
    tensor: {
      dtype: DT.STRING,
      tensor_shape: shape([3]),
      string_val: [enc.encode(String(width)), enc.encode(String(height)), png],
    },
  };
}

/** DT_STRING rank-0 tensor rendered as Markdown by the text plugin. */
export function textValue(tag: string, markdown: string): SummaryValue {
  return {
    tag,
    metadata: textMetadata,
    tensor: { dtype: DT.STRING, tensor_shape: rank0, string_val: [new TextEncoder().encode(markdown)] },
  };
}

/** An Event holding one scalar value (the form the fast path in scalar-event-encoder.ts reproduces). */
export function scalarEvent(tag: string, value: number, step: number, wallTime: number): SummaryValue {
  return { wall_time: wallTime, step, summary: { value: [scalarValue(tag, value)] } };
}

/** HParams values carry the plugin data in metadata and a null tensor (DT_FLOAT, shape [0]). */
export function hparamsValue(tag: string, pluginContent: Uint8Array): SummaryValue {
  return {
    tag,
    metadata: metadata('hparams', DataClass.TENSOR, pluginContent),
    tensor: { dtype: DT.FLOAT, tensor_shape: shape([0]) },
  };
}
