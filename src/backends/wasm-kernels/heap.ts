import type * as tf from '@tensorflow/tfjs';

/** The parts of tfjs-backend-wasm's BackendWasm that kernels working on its heap need. */
export interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/**
 * Views of the inputs' and a new output's memory on the wasm heap. The output is allocated first:
 * allocating can grow the heap, which detaches views taken before it.
 */
export function heapViews(
  backend: unknown,
  inputs: tf.TensorInfo[],
  outShape: number[],
  dtype: tf.DataType,
): {
  out: tf.TensorInfo;
  outView: Float32Array | Int32Array | Uint8Array;
  views: (Float32Array | Int32Array | Uint8Array)[];
} {
  const b = backend as WasmHeapBackend;
  const out = b.makeOutput(outShape, dtype);
  return { out, outView: b.typedArrayFromHeap(out), views: inputs.map((t) => b.typedArrayFromHeap(t)) };
}
