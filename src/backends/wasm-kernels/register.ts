import * as tf from '@tensorflow/tfjs';
import { fusedBatchNormGradConfig } from './batchnorm-grad.ts';
import { fusedBatchNormForward } from './batchnorm-forward.ts';
import { conv2dBackpropFilter, conv2dBackpropInput } from './conv2d-grad.ts';
import { depthwiseBackpropInput } from './depthwise-grad.ts';
import {
  depthwiseFilterGradOnHeap,
  depthwiseFilterGradUnblocked,
  makeFastSlice,
  makeSharedIdentity,
} from './heap-kernels.ts';
import { explicitTransposeMatMul } from './matmul.ts';
import { makeMiddleAxisReduce } from './reduce-kernels.ts';
import { makeHeapTranspose } from './transpose-kernel.ts';
import { SPREAD_PAD, spreadPadOnHeap } from './spread-pad.ts';
import { channelDotSumsOnHeap, channelMomentsOnHeap } from './channel-stats.ts';
import { CHANNEL_DOT_SUMS, CHANNEL_MOMENTS } from '../../models/layers/batch-norm-training.ts';
import { clipByValueGradConfig, relu6GradConfig } from './clip-grads.ts';

const ours = new Set<tf.KernelFunc>();
/** wasm's own kernels we replaced, kept so benchmarks and tests can compare against them. */
export const replacedWasmKernels = new Map<string, tf.KernelFunc>();

function put(kernelName: string, kernelFunc: tf.KernelFunc): void {
  const existing = tf.getKernel(kernelName, 'wasm');
  if (existing && ours.has(existing.kernelFunc)) return;
  if (existing) {
    replacedWasmKernels.set(kernelName, existing.kernelFunc);
    tf.unregisterKernel(kernelName, 'wasm');
  }
  ours.add(kernelFunc);
  tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
}

/**
 * Registers the training kernels on the wasm backend. Call after the wasm backend has been
 * initialised (the wrapped matMul kernels need their own setup to have run). Idempotent.
 */
export function registerWasmTrainingKernels(): void {
  put('Conv2DBackpropFilter', conv2dBackpropFilter);
  const stockInput =
    replacedWasmKernels.get('Conv2DBackpropInput') ?? tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc;
  put('Conv2DBackpropInput', (params) => conv2dBackpropInput(params, stockInput));
  put('DepthwiseConv2dNativeBackpropFilter', depthwiseFilterGradOnHeap);
  put('DepthwiseConv2dNativeBackpropInput', depthwiseBackpropInput);
  for (const name of ['BatchMatMul', '_FusedMatMul']) {
    const existing = tf.getKernel(name, 'wasm');
    if (existing && !ours.has(existing.kernelFunc)) put(name, explicitTransposeMatMul(existing.kernelFunc));
  }
  const slice = tf.getKernel('Slice', 'wasm');
  if (slice && !ours.has(slice.kernelFunc)) put('Slice', makeFastSlice(slice.kernelFunc));
  const identity = tf.getKernel('Identity', 'wasm');
  if (identity && !ours.has(identity.kernelFunc)) put('Identity', makeSharedIdentity(identity.kernelFunc));
  for (const [name, mean] of [
    ['Sum', false],
    ['Mean', true],
  ] as const) {
    const stock = tf.getKernel(name, 'wasm');
    if (stock && !ours.has(stock.kernelFunc)) put(name, makeMiddleAxisReduce(stock.kernelFunc, mean));
  }
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (transpose && !ours.has(transpose.kernelFunc)) put('Transpose', makeHeapTranspose(transpose.kernelFunc));
  put('FusedBatchNorm', fusedBatchNormForward);
  put(CHANNEL_MOMENTS, channelMomentsOnHeap);
  put(CHANNEL_DOT_SUMS, channelDotSumsOnHeap);
  put(SPREAD_PAD, spreadPadOnHeap);
  registerBatchNormGradient();
  registerGradientOnce(relu6GradConfig);
  registerGradientOnce(clipByValueGradConfig);
}

const gradientsRegistered = new Set<string>();
function registerGradientOnce(config: tf.GradConfig): void {
  if (gradientsRegistered.has(config.kernelName)) return;
  gradientsRegistered.add(config.kernelName);
  tf.registerGradient(config);
}

/** Backend-independent (same formulas as tfjs-core), so it also serves cpu and node. */
export function registerBatchNormGradient(): void {
  registerGradientOnce(fusedBatchNormGradConfig);
}

/** Kernels of the MobileNetV2 speed-up (issue 6 follow-up), with what each replaced. */
const SPEEDUP_KERNELS = ['Sum', 'Mean', 'Transpose', 'FusedBatchNorm', 'DepthwiseConv2dNativeBackpropFilter'] as const;

/**
 * For A/B benchmarks only (`npm run bench -- train --ab`): `false` puts back what ran before the
 * MobileNetV2 speed-up — wasm's own Sum, Mean, Transpose and FusedBatchNorm, our first depthwise
 * filter gradient and zero insertion from tfjs ops — and `true` restores ours. Call after
 * registerWasmTrainingKernels().
 */
export function useSpeedupKernels(enabled: boolean): void {
  for (const name of SPEEDUP_KERNELS) {
    const current = tf.getKernel(name, 'wasm');
    const replaced = replacedWasmKernels.get(name);
    const before = name === 'DepthwiseConv2dNativeBackpropFilter' ? depthwiseFilterGradUnblocked : replaced;
    const ourFunc = name === 'DepthwiseConv2dNativeBackpropFilter' ? depthwiseFilterGradOnHeap : speedupFuncs.get(name);
    const want = enabled ? ourFunc : before;
    if (!want || current?.kernelFunc === want) continue;
    if (current && !enabled && ours.has(current.kernelFunc)) speedupFuncs.set(name, current.kernelFunc);
    if (current) tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: want });
  }
  // Without it, strided convolutions' input gradients compose zero insertion and padding from tfjs ops.
  const spread = tf.getKernel(SPREAD_PAD, 'wasm');
  if (!enabled && spread) tf.unregisterKernel(SPREAD_PAD, 'wasm');
  if (enabled && !spread)
    tf.registerKernel({ kernelName: SPREAD_PAD, backendName: 'wasm', kernelFunc: spreadPadOnHeap });
}
const speedupFuncs = new Map<string, tf.KernelFunc>();
