// tfjs is channels-last (NHWC, HWIO kernels); ONNX's Conv and pooling are channels-first (NCHW, OIHW).
// Inside an exported graph every rank-4 value is NCHW; the graph's input and outputs are as in tfjs.
import type { OnnxGraph, Value } from './graph.ts';

export const TO_NCHW = [0, 3, 1, 2];
export const TO_NHWC = [0, 2, 3, 1];

/** The ONNX axis of a tfjs axis (negative counts from the end), given the value's rank. */
export function onnxAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  return rank === 4 ? TO_NHWC[a]! : a;
}

/** A value in tfjs' own memory order: rank-4 values are transposed back to NHWC. */
export function channelsLast(graph: OnnxGraph, value: Value, hint: string): string {
  return value.shape.length === 4 ? graph.node('Transpose', [value.name], hint, { perm: TO_NHWC }) : value.name;
}

/** A tfjs-order (NHWC) rank-4 result brought to the graph's NCHW; other ranks unchanged. */
export function fromChannelsLast(graph: OnnxGraph, name: string, rank: number, hint: string): string {
  return rank === 4 ? graph.node('Transpose', [name], hint, { perm: TO_NCHW }) : name;
}

/** HWIO → OIHW. */
export function convKernelToOihw(k: Float32Array, [kh, kw, cin, cout]: number[]): Float32Array {
  const out = new Float32Array(k.length);
  for (let h = 0; h < kh!; h++) {
    for (let w = 0; w < kw!; w++) {
      for (let i = 0; i < cin!; i++) {
        const src = ((h * kw! + w) * cin! + i) * cout!;
        for (let o = 0; o < cout!; o++) out[((o * cin! + i) * kh! + h) * kw! + w] = k[src + o]!;
      }
    }
  }
  return out;
}

/**
 * A depthwise kernel [KH, KW, C, M] as a grouped-conv weight [C·M, 1, KH, KW] (group = C):
 * tfjs' output channel c·M + m is ONNX's, which group c produces.
 */
export function depthwiseKernelToOihw(k: Float32Array, [kh, kw, c, m]: number[]): Float32Array {
  return convKernelToOihw(k, [kh!, kw!, 1, c! * m!]);
}

/** TensorFlow's SAME padding for one spatial axis: [before, after], the odd pixel after. */
export function samePadding(size: number, kernel: number, stride: number, dilation: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** ONNX `pads` ([top, left, bottom, right]) for a tfjs `padding` over an NHWC input shape. */
export function spatialPads(
  padding: string,
  shape: (number | null)[],
  kernel: [number, number],
  strides: [number, number],
  dilations: [number, number],
): number[] {
  if (padding === 'valid') return [0, 0, 0, 0];
  const [h, w] = [shape[1], shape[2]];
  if (h == null || w == null)
    throw new Error(`ONNX export: 'same' padding needs a known spatial size, got [${shape.join(', ')}]`);
  const [top, bottom] = samePadding(h, kernel[0], strides[0], dilations[0]);
  const [left, right] = samePadding(w, kernel[1], strides[1], dilations[1]);
  return [top, left, bottom, right];
}

export function pair(v: number | number[] | undefined, fallback = 1): [number, number] {
  if (v === undefined) return [fallback, fallback];
  return Array.isArray(v) ? [v[0]!, v[1] ?? v[0]!] : [v, v];
}
