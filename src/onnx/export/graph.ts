import {
  attribute,
  floatTensor,
  int64Tensor,
  IR_VERSION,
  onnx,
  OPSET,
  valueInfo,
  type AttributeValue,
  type NodeProto,
  type TensorProto,
} from './proto.ts';

/** A value of the graph being built: its ONNX name and its shape in Keras (channels-last) order. */
export interface Value {
  name: string;
  /** The tfjs shape (null batch). Inside the graph rank-4 values are NCHW; every other rank is as in tfjs. */
  shape: (number | null)[];
  /** Known to hold no negative value (a ReLU's output, a pool or concat of such). */
  nonNegative?: boolean;
}

/**
 * Accumulates nodes and initializers under unique names, then serializes the part that the
 * requested outputs need as a ModelProto.
 */
export class OnnxGraph {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers = new Map<string, TensorProto>();
  private readonly used = new Set<string>();
  private readonly int64Cache = new Map<string, string>();

  /** A fresh value name derived from `hint` (a layer name, usually). */
  name(hint: string): string {
    let name = hint;
    for (let i = 1; this.used.has(name); i++) name = `${hint}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Claims an exact name (graph inputs and outputs); an error if it is taken. */
  reserve(name: string): string {
    if (this.used.has(name)) throw new Error(`ONNX export: the value name "${name}" is used twice`);
    this.used.add(name);
    return name;
  }

  node(
    op: string,
    inputs: string[],
    hint: string,
    attrs: Record<string, AttributeValue> = {},
    output?: string,
  ): string {
    const out = output ?? this.name(`${hint}/${op}`);
    this.nodes.push(
      onnx.NodeProto.create({
        opType: op,
        name: out,
        input: inputs,
        output: [out],
        attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
      }),
    );
    return out;
  }

  float(hint: string, values: Float32Array, dims: number[]): string {
    const name = this.name(hint);
    this.initializers.set(name, floatTensor(name, values, dims));
    return name;
  }

  /** An int64 constant (shapes, pads, axes); equal values share one initializer. */
  int64(values: number[]): string {
    const key = values.join(',');
    const cached = this.int64Cache.get(key);
    if (cached) return cached;
    const name = this.name(`const_i64_${values.join('_').replace(/-/g, 'm')}`);
    this.initializers.set(name, int64Tensor(name, values));
    this.int64Cache.set(key, name);
    return name;
  }

  /** The serialized ModelProto holding only the nodes and initializers the outputs depend on. */
  serialize(inputs: Value[], outputs: Value[], meta: { producer: string; docString: string }): Uint8Array {
    const needed = new Set(outputs.map((o) => o.name));
    const kept: NodeProto[] = [];
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const node = this.nodes[i]!;
      if (!node.output.some((o) => needed.has(o))) continue;
      kept.push(node);
      for (const input of node.input) needed.add(input);
    }
    kept.reverse();
    const graph = onnx.GraphProto.create({
      name: meta.producer,
      docString: meta.docString,
      node: kept,
      initializer: [...this.initializers.values()].filter((t) => needed.has(t.name)),
      input: inputs.map((v) => valueInfo(v.name, v.shape)),
      output: outputs.map((v) => valueInfo(v.name, v.shape)),
    });
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET }],
      producerName: 'transfer-lab',
      graph,
    });
    return onnx.ModelProto.encode(model).finish();
  }

  get nodeCount(): number {
    return this.nodes.length;
  }
}
