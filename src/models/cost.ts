import * as tf from '@tensorflow/tfjs';

interface ModelCost {
  totalParams: number;
  trainableParams: number;
  nonTrainableParams: number;
  /**
   * Forward multiply-accumulates for one image in Conv2D, DepthwiseConv2D, SeparableConv2D,
   * Conv2DTranspose, Conv1D and Dense layers — what the papers' "mult-adds" / FLOPs figures count.
   * Bias additions are not counted.
   */
  macsPerImage: number;
  breakdown: {
    conv: number;
    depthwise: number;
    dense: number;
    /**
     * Not in macsPerImage: one op per output element of BatchNormalization, activations,
     * Add/Multiply, pooling and resizing layers.
     */
    elementwise: number;
  };
}

type Breakdown = ModelCost['breakdown'];

/** Parameter counts and per-image forward cost of a model; nested models are counted through. */
export function modelCost(model: tf.LayersModel): ModelCost {
  const seen = new Set<number>();
  const count = (weights: tf.LayerVariable[]): number =>
    weights.reduce((n, w) => {
      if (seen.has(w.id)) return n;
      seen.add(w.id);
      return n + w.shape.reduce<number>((a, b) => a * (b ?? 0), 1);
    }, 0);
  const trainableParams = count(model.trainableWeights);
  const nonTrainableParams = count(model.nonTrainableWeights);
  const breakdown: Breakdown = { conv: 0, depthwise: 0, dense: 0, elementwise: 0 };
  addModel(model, breakdown);
  return {
    totalParams: trainableParams + nonTrainableParams,
    trainableParams,
    nonTrainableParams,
    macsPerImage: breakdown.conv + breakdown.depthwise + breakdown.dense,
    breakdown,
  };
}

function addModel(model: tf.LayersModel, acc: Breakdown): void {
  // Only the nodes that belong to this model: a layer shared with another model (a base reused in
  // a classifier, a cut model) has nodes there too.
  const containerNodes = (model as unknown as { containerNodes?: Set<string> }).containerNodes;
  for (const layer of model.layers) {
    if (layer instanceof tf.LayersModel) {
      addModel(layer, acc);
      continue;
    }
    layer.inboundNodes.forEach((node, i) => {
      if (containerNodes && !containerNodes.has(`${layer.name}_ib-${i}`)) return;
      if (node.inboundLayers.length === 0) return; // InputLayer
      addNode(layer, shapesOf(node.inputShapes), shapesOf(node.outputShapes), acc);
    });
  }
}

type Shape = number[];

function shapesOf(s: tf.Shape | tf.Shape[]): Shape[] {
  const list = (Array.isArray(s[0]) || s.length === 0 ? s : [s]) as tf.Shape[];
  return list.map((shape) => shape.slice(1).map((d) => d ?? 0));
}

const prod = (xs: number[]): number => xs.reduce((a, b) => a * b, 1);

function kernelShape(layer: tf.layers.Layer, index = 0): number[] {
  const w = layer.weights[index];
  if (!w) throw new Error(`modelCost: layer "${layer.name}" has no kernel`);
  return w.shape.map((d) => d ?? 0);
}

function addNode(layer: tf.layers.Layer, inputs: Shape[], outputs: Shape[], acc: Breakdown): void {
  const out = outputs[0] ?? [];
  const spatial = out.slice(0, -1);
  switch (layer.getClassName()) {
    case 'Conv1D':
    case 'Conv2D':
    case 'Conv3D': {
      const k = kernelShape(layer); // [...spatial, cin, cout]
      acc.conv += prod(spatial) * prod(k);
      return;
    }
    case 'Conv2DTranspose': {
      const k = kernelShape(layer); // [kh, kw, cout, cin]
      acc.conv += prod((inputs[0] ?? []).slice(0, -1)) * prod(k);
      return;
    }
    case 'DepthwiseConv2D': {
      acc.depthwise += prod(spatial) * prod(kernelShape(layer)); // [kh, kw, cin, mult]
      return;
    }
    case 'SeparableConv2D': {
      acc.depthwise += prod(spatial) * prod(kernelShape(layer, 0));
      acc.conv += prod(spatial) * prod(kernelShape(layer, 1));
      return;
    }
    case 'Dense': {
      acc.dense += prod(spatial) * prod(kernelShape(layer));
      return;
    }
    case 'BatchNormalization':
    case 'Activation':
    case 'ReLU':
    case 'LeakyReLU':
    case 'Softmax':
    case 'Add':
    case 'Multiply':
    case 'Average':
    case 'Maximum':
    case 'MaxPooling2D':
    case 'AveragePooling2D':
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D':
    case 'UpSample':
    case 'UpSampling2D':
    case 'Normalization':
      acc.elementwise += layer.getClassName().startsWith('Global') ? prod(inputs[0] ?? []) : prod(out);
      return;
    default:
      return;
  }
}

/** "3.87 G", "300.8 M", "41.4 M" — for tables. */
export function formatMacs(macs: number): string {
  if (macs >= 1e9) return `${(macs / 1e9).toFixed(2)} G`;
  if (macs >= 1e6) return `${(macs / 1e6).toFixed(1)} M`;
  if (macs >= 1e3) return `${(macs / 1e3).toFixed(1)} k`;
  return String(macs);
}
