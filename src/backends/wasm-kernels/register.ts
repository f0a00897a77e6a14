import * as tf from '@tensorflow/tfjs';
import { fusedBatchNormGradConfig } from './batchnorm-grad.ts';
import { conv2dBackpropFilter, conv2dBackpropInput } from './conv2d-grad.ts';
import { depthwiseBackpropInput } from './depthwise-grad.ts';
import { depthwiseFilterGradOnHeap, makeFastSlice, makeSharedIdentity } from './heap-kernels.ts';
import { explicitTransposeMatMul } from './matmul.ts';
import { clipByValueGradConfig, relu6GradConfig } from './clip-grads.ts';

/** The kernels we add to (or replace in) the wasm backend, by tfjs kernel name. */
export const WASM_TRAINING_KERNELS = [
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'BatchMatMul',
  '_FusedMatMul',
  'Slice',
  'Identity',
] as const;

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
  const stockInput = replacedWasmKernels.get('Conv2DBackpropInput') ?? tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc;
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
