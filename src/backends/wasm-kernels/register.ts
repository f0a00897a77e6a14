import * as tf from '@tensorflow/tfjs';
import { fusedBatchNormGradConfig } from './batchnorm-grad.ts';
import { conv2dBackpropFilter, conv2dBackpropInput } from './conv2d-grad.ts';
import { depthwiseBackpropFilter, depthwiseBackpropInput } from './depthwise-grad.ts';
import { explicitTransposeMatMul } from './matmul.ts';

/** The kernels we add to (or replace in) the wasm backend, by tfjs kernel name. */
export const WASM_TRAINING_KERNELS = [
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'BatchMatMul',
  '_FusedMatMul',
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
  put('DepthwiseConv2dNativeBackpropFilter', depthwiseBackpropFilter);
  put('DepthwiseConv2dNativeBackpropInput', depthwiseBackpropInput);
  for (const name of ['BatchMatMul', '_FusedMatMul']) {
    const existing = tf.getKernel(name, 'wasm');
    if (existing && !ours.has(existing.kernelFunc)) put(name, explicitTransposeMatMul(existing.kernelFunc));
  }
  registerBatchNormGradient();
}

let batchNormGradientRegistered = false;
/** Backend-independent (same formulas as tfjs-core), so it also serves cpu and node. */
export function registerBatchNormGradient(): void {
  if (batchNormGradientRegistered) return;
  batchNormGradientRegistered = true;
  tf.registerGradient(fusedBatchNormGradConfig);
}
