import * as tf from '@tensorflow/tfjs';

// Small stand-ins with the layer kinds of each base family (the same ops and gradients at a
// fraction of the cost): strided/valid/same convolutions, depthwise convolutions, BN, ReLU6,
// ZeroPadding2D, max/average pooling, Concatenate and Add.
const L = tf.layers;
type T = tf.SymbolicTensor;

function convBn(
  x: T,
  filters: number,
  kernel: number,
  strides = 1,
  padding: 'same' | 'valid' = 'same',
  act: 'relu' | 'relu6' = 'relu',
): T {
  const y = L.conv2d({ filters, kernelSize: kernel, strides, padding, useBias: false }).apply(x) as T;
  const b = L.batchNormalization({ epsilon: 1e-3 }).apply(y) as T;
  return (act === 'relu6' ? L.reLU({ maxValue: 6 }) : L.activation({ activation: 'relu' })).apply(b) as T;
}

function invertedResidual(x: T, expand: number, out: number, stride: number): T {
  const cin = x.shape[3] as number;
  let y = convBn(x, cin * expand, 1, 1, 'same', 'relu6');
  if (stride === 2)
    y = L.zeroPadding2d({
      padding: [
        [0, 1],
        [0, 1],
      ],
    }).apply(y) as T;
  y = L.depthwiseConv2d({
    kernelSize: 3,
    strides: stride,
    padding: stride === 2 ? 'valid' : 'same',
    useBias: false,
  }).apply(y) as T;
  y = L.reLU({ maxValue: 6 }).apply(L.batchNormalization({ epsilon: 1e-3 }).apply(y) as T) as T;
  y = L.conv2d({ filters: out, kernelSize: 1, useBias: false }).apply(y) as T;
  y = L.batchNormalization({ epsilon: 1e-3 }).apply(y) as T;
  return stride === 1 && cin === out ? (L.add().apply([x, y]) as T) : y;
}

function mobilenetV2Like(input: T): T {
  let x = convBn(input, 8, 3, 2, 'same', 'relu6');
  x = invertedResidual(x, 1, 8, 1);
  x = invertedResidual(x, 3, 12, 2);
  x = invertedResidual(x, 3, 12, 1);
  x = invertedResidual(x, 3, 16, 2);
  return convBn(x, 32, 1, 1, 'same', 'relu6');
}

function mobilenetV1Like(input: T): T {
  let x = convBn(input, 8, 3, 2, 'same', 'relu6');
  for (const [filters, stride] of [
    [16, 1],
    [24, 2],
    [24, 1],
    [32, 2],
  ]) {
    if (stride === 2)
      x = L.zeroPadding2d({
        padding: [
          [0, 1],
          [0, 1],
        ],
      }).apply(x) as T;
    x = L.depthwiseConv2d({
      kernelSize: 3,
      strides: stride,
      padding: stride === 2 ? 'valid' : 'same',
      useBias: false,
      depthMultiplier: 1,
    }).apply(x) as T;
    x = L.reLU({ maxValue: 6 }).apply(L.batchNormalization({ epsilon: 1e-3 }).apply(x) as T) as T;
    x = convBn(x, filters, 1, 1, 'same', 'relu6');
  }
  return x;
}

export function densenetLike(input: T): T {
  let x = L.zeroPadding2d({ padding: 3 }).apply(input) as T;
  x = convBn(x, 16, 7, 2, 'valid');
  x = L.zeroPadding2d({ padding: 1 }).apply(x) as T;
  x = L.maxPooling2d({ poolSize: 3, strides: 2 }).apply(x) as T;
  for (let block = 0; block < 2; block++) {
    for (let i = 0; i < 3; i++) {
      let y = L.activation({ activation: 'relu' }).apply(
        L.batchNormalization({ epsilon: 1.001e-5 }).apply(x) as T,
      ) as T;
      y = convBn(y, 16, 1);
      y = L.conv2d({ filters: 8, kernelSize: 3, padding: 'same', useBias: false }).apply(y) as T;
      x = L.concatenate({ axis: 3 }).apply([x, y]) as T;
    }
    if (block === 0) {
      x = L.activation({ activation: 'relu' }).apply(L.batchNormalization({ epsilon: 1.001e-5 }).apply(x) as T) as T;
      x = L.conv2d({ filters: 16, kernelSize: 1, useBias: false }).apply(x) as T;
      x = L.averagePooling2d({ poolSize: 2, strides: 2 }).apply(x) as T;
    }
  }
  return L.activation({ activation: 'relu' }).apply(L.batchNormalization({ epsilon: 1.001e-5 }).apply(x) as T) as T;
}

function bottleneck(x: T, filters: number, stride: number, convShortcut: boolean): T {
  const shortcut = convShortcut
    ? (L.batchNormalization({ epsilon: 1.001e-5 }).apply(
        L.conv2d({ filters: 4 * filters, kernelSize: 1, strides: stride }).apply(x) as T,
      ) as T)
    : x;
  let y = L.conv2d({ filters, kernelSize: 1, strides: stride }).apply(x) as T;
  y = L.activation({ activation: 'relu' }).apply(L.batchNormalization({ epsilon: 1.001e-5 }).apply(y) as T) as T;
  y = L.conv2d({ filters, kernelSize: 3, padding: 'same' }).apply(y) as T;
  y = L.activation({ activation: 'relu' }).apply(L.batchNormalization({ epsilon: 1.001e-5 }).apply(y) as T) as T;
  y = L.batchNormalization({ epsilon: 1.001e-5 }).apply(
    L.conv2d({ filters: 4 * filters, kernelSize: 1 }).apply(y) as T,
  ) as T;
  return L.activation({ activation: 'relu' }).apply(L.add().apply([shortcut, y]) as T) as T;
}

function resnetLike(input: T): T {
  let x = L.zeroPadding2d({ padding: 3 }).apply(input) as T;
  x = L.conv2d({ filters: 8, kernelSize: 7, strides: 2 }).apply(x) as T;
  x = L.activation({ activation: 'relu' }).apply(L.batchNormalization({ epsilon: 1.001e-5 }).apply(x) as T) as T;
  x = L.zeroPadding2d({ padding: 1 }).apply(x) as T;
  x = L.maxPooling2d({ poolSize: 3, strides: 2 }).apply(x) as T;
  x = bottleneck(x, 4, 1, true);
  x = bottleneck(x, 4, 1, false);
  return bottleneck(x, 8, 2, true);
}

function inceptionLike(input: T): T {
  let x = convBn(input, 8, 3, 2, 'valid');
  x = convBn(x, 8, 3, 1, 'valid');
  x = L.maxPooling2d({ poolSize: 3, strides: 2 }).apply(x) as T;
  const b1 = convBn(x, 8, 1);
  const b5 = convBn(convBn(x, 6, 1), 8, 5);
  const b3 = convBn(convBn(convBn(x, 8, 1), 12, 3), 12, 3);
  const bp = convBn(L.averagePooling2d({ poolSize: 3, strides: 1, padding: 'same' }).apply(x) as T, 4, 1);
  x = L.concatenate({ axis: 3 }).apply([b1, b5, b3, bp]) as T;
  const c3 = convBn(x, 16, 3, 2, 'valid');
  const c7 = convBn(
    L.conv2d({ filters: 8, kernelSize: [1, 7], padding: 'same', useBias: false }).apply(x) as T,
    8,
    3,
    2,
    'valid',
  );
  const cp = L.maxPooling2d({ poolSize: 3, strides: 2 }).apply(x) as T;
  return L.concatenate({ axis: 3 }).apply([c3, c7, cp]) as T;
}

export const NET_FAMILIES = {
  mobilenet_v2: mobilenetV2Like,
  densenet121: densenetLike,
  resnet50: resnetLike,
  inception_v3: inceptionLike,
  mobilenet_v1: mobilenetV1Like,
} as const;

/** base → GAP → Dense → Dropout (seeded, so both backends drop the same units) → softmax. */
export function withHead(base: ((x: T) => T) | tf.LayersModel, inputSize: number, classes = 10): tf.LayersModel {
  const input = tf.input({ shape: [inputSize, inputSize, 3] });
  const features = base instanceof tf.LayersModel ? (base.apply(input) as T) : base(input);
  let x = L.globalAveragePooling2d({}).apply(features) as T;
  x = L.dense({ units: 16, activation: 'relu' }).apply(x) as T;
  x = L.dropout({ rate: 0.25, seed: 7 }).apply(x) as T;
  const out = L.dense({ units: classes, activation: 'softmax' }).apply(x) as T;
  return tf.model({ inputs: input, outputs: out });
}
