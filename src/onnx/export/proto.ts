// The ONNX schema (onnx-proto: the official onnx.proto compiled for protobufjs) and the few value
// constructors the exporter needs.
import onnxProto from 'onnx-proto';

export const onnx = onnxProto.onnx;
export type NodeProto = InstanceType<typeof onnx.NodeProto>;
export type TensorProto = InstanceType<typeof onnx.TensorProto>;

/** ONNX Runtime 1.30 reads IR 8 with opset 13: every operator used here has its final semantics there. */
export const IR_VERSION = 8;
export const OPSET = 13;

/** Integers (and integer lists) as INT(S); a float attribute is written `{ f: 0.2 }`. */
export type AttributeValue = number | number[] | string | { f: number } | { floats: number[] };

const { AttributeType } = onnx.AttributeProto;

export function attribute(name: string, value: AttributeValue): InstanceType<typeof onnx.AttributeProto> {
  if (typeof value === 'string')
    return onnx.AttributeProto.create({ name, type: AttributeType.STRING, s: new TextEncoder().encode(value) });
  if (typeof value === 'number') {
    if (!Number.isInteger(value))
      throw new Error(`ONNX export: attribute ${name}=${value} is not an integer (write { f: ${value} })`);
    return onnx.AttributeProto.create({ name, type: AttributeType.INT, i: value });
  }
  if (Array.isArray(value)) return onnx.AttributeProto.create({ name, type: AttributeType.INTS, ints: value });
  if ('f' in value) return onnx.AttributeProto.create({ name, type: AttributeType.FLOAT, f: value.f });
  return onnx.AttributeProto.create({ name, type: AttributeType.FLOATS, floats: value.floats });
}

export function floatTensor(name: string, values: Float32Array, dims: number[]): TensorProto {
  checkSize(name, values.length, dims);
  return onnx.TensorProto.create({
    name,
    dims,
    dataType: onnx.TensorProto.DataType.FLOAT,
    rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
  });
}

export function int64Tensor(name: string, values: number[], dims: number[] = [values.length]): TensorProto {
  checkSize(name, values.length, dims);
  const data = BigInt64Array.from(values.map((v) => BigInt(v)));
  return onnx.TensorProto.create({
    name,
    dims,
    dataType: onnx.TensorProto.DataType.INT64,
    rawData: new Uint8Array(data.buffer),
  });
}

/** A float32 value with a symbolic batch dimension (`null` entries become the dim_param "batch"). */
export function valueInfo(name: string, shape: (number | null)[]): InstanceType<typeof onnx.ValueInfoProto> {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: shape.map((d) => (d == null ? { dimParam: 'batch' } : { dimValue: d })) },
      },
    },
  });
}

function checkSize(name: string, length: number, dims: number[]): void {
  const want = dims.reduce((a, b) => a * b, 1);
  if (want !== length)
    throw new Error(`ONNX export: initializer ${name} has ${length} values for dims [${dims.join(', ')}]`);
}
