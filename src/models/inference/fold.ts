// src/models/inference/: inference-only rewrites of a built model (BatchNorm folded into the
// convolutions) for feature extraction; imports @tensorflow/tfjs and models/layers only.
import * as tf from '@tensorflow/tfjs';
import { fusableActivation } from '../layers/relu6.ts';
import { containerOf, nodesInOrder, type GraphContainer, type GraphNode, type Kwargs } from './graph.ts';

type FusedActivation = 'linear' | 'relu' | 'relu6';

/** What `foldBatchNorm` did to a model (nested models included). */
interface FoldSummary {
  /** Conv2D / DepthwiseConv2D layers now run as one fused kernel (conv + bias + activation). */
  fusedConvs: number;
  /** BatchNormalization layers folded into the convolution before them. */
  foldedBatchNorms: number;
  /** Activation / ReLU layers folded into the convolution before them. */
  foldedActivations: number;
  /** BatchNormalization layers left standing (e.g. DenseNet's BN → ReLU → conv): `x·scale + offset`. */
  standaloneBatchNorms: number;
  /** Layers run by their own `call` in inference mode. */
  otherLayers: number;
}

/**
 * An inference-only copy of a model: convolutions with the batch normalisation and ReLU/ReLU6 that
 * follow them folded in. Weights are read when it is made — fold again after changing them.
 */
export interface InferenceModel {
  readonly name: string;
  readonly summary: FoldSummary;
  /** The model's output for `x` in inference mode (as `model.predict(x)`); the caller disposes it. */
  predict(x: tf.Tensor): tf.Tensor;
  predict(x: tf.Tensor[]): tf.Tensor[];
  /** `predict` under the signature of `layer.apply(x, { training: false })`, for code written against a LayersModel. */
  apply(x: tf.Tensor | tf.Tensor[], kwargs?: Kwargs): tf.Tensor | tf.Tensor[];
  /** Frees the folded weights. */
  dispose(): void;
}

interface Step {
  inputs: number[];
  outputs: number[];
  run(xs: tf.Tensor[]): tf.Tensor[];
}

interface ConvConfig {
  strides: number | number[];
  padding: 'valid' | 'same';
  dataFormat?: string;
  dilationRate?: number | number[];
  activation?: string;
  useBias?: boolean;
}

export interface BatchNormFields {
  gamma: { read(): tf.Tensor } | null;
  beta: { read(): tf.Tensor } | null;
  movingMean: { read(): tf.Tensor };
  movingVariance: { read(): tf.Tensor };
  axis: number;
  epsilon: number;
}

/**
 * Folds a frozen model for fast inference (feature extraction): every Conv2D / DepthwiseConv2D
 * followed by a BatchNormalization (Keras `conv_dw_1` → `conv_dw_1_bn`) becomes one convolution
 * with bias — kernel·s, (bias − mean)·s + β with s = γ/√(var+ε) — and a ReLU / ReLU6 after it
 * becomes the fused kernel's activation, so `conv → BN → ReLU6` is a single `tf.fused` kernel.
 * Nested models (a classifier's base) are folded too; every other layer runs its own `call` with
 * `training: false`. Intermediate tensors are freed as soon as their last consumer has run.
 *
 * The model itself is not changed. The result computes what `model.predict` computes, up to float
 * rounding (checked to 1e-4 on real images).
 */
export function foldBatchNorm(model: tf.LayersModel): InferenceModel {
  const container = containerOf(model);
  if (!container) throw new Error(`foldBatchNorm: ${model.name} is not a functional model`);
  const owned: tf.Tensor[] = [];
  const summary: FoldSummary = {
    fusedConvs: 0,
    foldedBatchNorms: 0,
    foldedActivations: 0,
    standaloneBatchNorms: 0,
    otherLayers: 0,
  };
  const plan = new Plan(container, owned, summary);
  let disposed = false;
  function predict(x: tf.Tensor): tf.Tensor;
  function predict(x: tf.Tensor[]): tf.Tensor[];
  function predict(x: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    if (disposed) throw new Error(`foldBatchNorm(${model.name}): predict after dispose`);
    const xs = Array.isArray(x) ? x : [x];
    if (xs.length !== container!.inputs.length) {
      throw new Error(`foldBatchNorm(${model.name}): expected ${container!.inputs.length} input(s), got ${xs.length}`);
    }
    const ys = tf.tidy(() => plan.run(xs));
    return Array.isArray(x) || ys.length > 1 ? ys : ys[0]!;
  }
  return {
    name: model.name,
    summary,
    predict,
    apply: (x) => predict(x as tf.Tensor),
    dispose() {
      if (!disposed) tf.dispose(owned);
      disposed = true;
    },
  };
}

class Plan {
  private readonly steps: Step[] = [];
  private readonly inputIds: number[];
  private readonly outputIds: number[];
  /** How many times each symbolic tensor is read (step inputs, plus one per model output). */
  private readonly uses = new Map<number, number>();

  constructor(
    container: GraphContainer,
    private readonly owned: tf.Tensor[],
    private readonly summary: FoldSummary,
  ) {
    this.inputIds = container.inputs.map((t) => t.id);
    this.outputIds = container.outputs.map((t) => t.id);
    const nodes = nodesInOrder(container).filter((n) => n.outboundLayer.getClassName() !== 'InputLayer');
    const consumers = new Map<number, GraphNode[]>();
    for (const node of nodes) {
      for (const t of node.inputTensors) consumers.set(t.id, [...(consumers.get(t.id) ?? []), node]);
    }
    const isOutput = new Set(this.outputIds);
    /** The only node reading `id`, when exactly one does and `id` is not a model output. */
    const soleConsumer = (id: number): GraphNode | null => {
      const c = consumers.get(id) ?? [];
      return c.length === 1 && !isOutput.has(id) && c[0]!.inputTensors.length === 1 ? c[0]! : null;
    };
    const absorbed = new Set<GraphNode>();
    for (const node of nodes) {
      if (absorbed.has(node)) continue;
      const step = this.convStep(node, soleConsumer, absorbed) ?? this.layerStep(node);
      this.steps.push(step);
    }
    for (const step of this.steps) for (const id of step.inputs) this.uses.set(id, (this.uses.get(id) ?? 0) + 1);
    for (const id of this.outputIds) this.uses.set(id, (this.uses.get(id) ?? 0) + 1);
  }

  run(inputs: tf.Tensor[]): tf.Tensor[] {
    const values = new Map<number, tf.Tensor>();
    const refs = new Map<tf.Tensor, number>();
    const keep = new Set(inputs);
    const bind = (id: number, t: tf.Tensor): void => {
      values.set(id, t);
      const n = (refs.get(t) ?? 0) + (this.uses.get(id) ?? 0);
      refs.set(t, n);
      if (n === 0 && !keep.has(t)) t.dispose();
    };
    const release = (id: number): void => {
      const t = values.get(id)!;
      const n = refs.get(t)! - 1;
      refs.set(t, n);
      if (n === 0 && !keep.has(t)) {
        t.dispose();
        values.delete(id);
      }
    };
    this.inputIds.forEach((id, i) => bind(id, inputs[i]!));
    for (const step of this.steps) {
      const xs = step.inputs.map((id) => values.get(id)!);
      const ys = step.run(xs);
      step.outputs.forEach((id, i) => bind(id, ys[i]!));
      for (const id of step.inputs) release(id);
    }
    return this.outputIds.map((id) => values.get(id)!);
  }

  /** A convolution with what follows it folded in, or null when `node` is no foldable convolution. */
  private convStep(
    node: GraphNode,
    soleConsumer: (id: number) => GraphNode | null,
    absorbed: Set<GraphNode>,
  ): Step | null {
    const layer = node.outboundLayer;
    const kind = layer.getClassName();
    if ((kind !== 'Conv2D' && kind !== 'DepthwiseConv2D') || node.inputTensors.length !== 1) return null;
    const config = layer.getConfig() as unknown as ConvConfig;
    if (config.dataFormat && config.dataFormat !== 'channelsLast') return null;
    let activation = activationOf(config.activation ?? 'linear');
    if (activation === null) return null;
    const [kernel, bias] = layer.getWeights();
    let foldedKernel = tf.keep(kernel!.clone());
    let foldedBias: tf.Tensor | null = config.useBias && bias ? tf.keep(bias.clone()) : null;
    let out = node.outputTensors[0]!.id;
    for (let next = soleConsumer(out); next; next = soleConsumer(out)) {
      const nextLayer = next.outboundLayer;
      const act = fusableActivation(nextLayer);
      if (activation === 'linear' && nextLayer.getClassName() === 'BatchNormalization') {
        const bn = nextLayer as unknown as BatchNormFields;
        if (bn.axis !== -1 && bn.axis !== 3) break;
        const folded = foldIntoConv(foldedKernel, foldedBias, bn);
        tf.dispose([foldedKernel, ...(foldedBias ? [foldedBias] : [])]);
        [foldedKernel, foldedBias] = folded;
        this.summary.foldedBatchNorms++;
      } else if (activation === 'linear' && act !== null) {
        activation = act;
        this.summary.foldedActivations++;
      } else {
        break;
      }
      absorbed.add(next);
      out = next.outputTensors[0]!.id;
    }
    this.owned.push(foldedKernel, ...(foldedBias ? [foldedBias] : []));
    this.summary.fusedConvs++;
    const strides = pair(config.strides);
    const dilations = pair(config.dilationRate ?? 1);
    const filter = foldedKernel as tf.Tensor4D;
    const fusedBias = (foldedBias ?? undefined) as tf.Tensor1D | undefined;
    const pad = config.padding;
    const run =
      kind === 'Conv2D'
        ? (x: tf.Tensor4D) => tf.fused.conv2d({ x, filter, strides, pad, dilations, bias: fusedBias, activation })
        : (x: tf.Tensor4D) =>
            tf.fused.depthwiseConv2d({ x, filter, strides, pad, dilations, bias: fusedBias, activation });
    return { inputs: [node.inputTensors[0]!.id], outputs: [out], run: ([x]) => [run(x as tf.Tensor4D)] };
  }

  private layerStep(node: GraphNode): Step {
    const layer = node.outboundLayer;
    const inputs = node.inputTensors.map((t) => t.id);
    const outputs = node.outputTensors.map((t) => t.id);
    const nested = containerOf(layer);
    if (nested) {
      const plan = new Plan(nested, this.owned, this.summary);
      return { inputs, outputs, run: (xs) => plan.run(xs) };
    }
    if (layer.getClassName() === 'BatchNormalization') {
      const bn = layer as unknown as BatchNormFields;
      if (bn.axis === -1 || bn.axis === 3) {
        const { scale, offset } = tf.tidy(() => {
          const r = bnScaleOffset(bn);
          return { scale: tf.keep(r.scale), offset: tf.keep(r.offset) };
        });
        this.owned.push(scale, offset);
        this.summary.standaloneBatchNorms++;
        // Axis 3 is only the last one for 4-D inputs; anything else goes to the layer itself.
        return {
          inputs,
          outputs,
          run: ([x]) => [
            x!.rank === 4 || bn.axis === -1
              ? tf.add(tf.mul(x!, scale), offset)
              : (layer.call(x!, { training: false }) as tf.Tensor),
          ],
        };
      }
    }
    this.summary.otherLayers++;
    const kwargs: Kwargs = { ...(node.callArgs ?? {}), training: false };
    return {
      inputs,
      outputs,
      run: (xs) => {
        const y = layer.call(xs.length === 1 ? xs[0]! : xs, kwargs);
        return Array.isArray(y) ? y : [y];
      },
    };
  }
}

/** Per-channel scale = γ/√(var+ε) and offset = β − mean·scale of an inference-mode BN. */
function bnScaleOffset(bn: BatchNormFields): { scale: tf.Tensor; offset: tf.Tensor } {
  const { scale, offset } = bnScaleOffset64(bn);
  return { scale: tf.tensor1d(Float32Array.from(scale)), offset: tf.tensor1d(Float32Array.from(offset)) };
}

/**
 * The same in float64, so folded weights carry one float32 rounding each (also what the ONNX
 * exporter folds: inference mode, moving statistics).
 */
export function bnScaleOffset64(bn: BatchNormFields): { scale: Float64Array; offset: Float64Array } {
  const read = (v: { read(): tf.Tensor } | null): Float32Array | null =>
    v ? (v.read().dataSync() as Float32Array) : null;
  const variance = read(bn.movingVariance)!;
  const mean = read(bn.movingMean)!;
  const gamma = read(bn.gamma);
  const beta = read(bn.beta);
  const scale = new Float64Array(variance.length);
  const offset = new Float64Array(variance.length);
  for (let c = 0; c < variance.length; c++) {
    scale[c] = (gamma ? gamma[c]! : 1) / Math.sqrt(variance[c]! + bn.epsilon);
    offset[c] = (beta ? beta[c]! : 0) - mean[c]! * scale[c]!;
  }
  return { scale, offset };
}

/**
 * Kernel and bias of `conv → BN` as one convolution: kernel·s over output channels (a depthwise
 * kernel's output channel c·multiplier + m is its entry [c, m], i.e. its flattened last two axes)
 * and (bias − mean)·s + β, computed in float64.
 */
function foldIntoConv(kernel: tf.Tensor, bias: tf.Tensor | null, bn: BatchNormFields): [tf.Tensor, tf.Tensor] {
  const { scale, offset } = bnScaleOffset64(bn);
  const k = kernel.dataSync() as Float32Array;
  const channels = scale.length;
  const outChannels = kernel.shape
    .slice(kernel.shape.length === 4 && kernel.shape[3]! !== channels ? 2 : 3)
    .reduce((a, b) => a * b, 1);
  if (outChannels !== channels)
    throw new Error(`foldBatchNorm: a kernel of shape [${kernel.shape}] cannot take a BN over ${channels} channels`);
  const folded = new Float32Array(k.length);
  for (let i = 0; i < k.length; i++) folded[i] = k[i]! * scale[i % channels]!;
  const b = bias ? (bias.dataSync() as Float32Array) : null;
  const foldedBias = new Float32Array(channels);
  for (let c = 0; c < channels; c++) foldedBias[c] = (b ? b[c]! : 0) * scale[c]! + offset[c]!;
  return [tf.keep(tf.tensor(folded, kernel.shape)), tf.keep(tf.tensor1d(foldedBias))];
}

function activationOf(name: string): FusedActivation | null {
  return name === 'linear' || name === 'relu' || name === 'relu6' ? name : null;
}

function pair(v: number | number[]): [number, number] {
  return Array.isArray(v) ? [v[0]!, v[1] ?? v[0]!] : [v, v];
}
