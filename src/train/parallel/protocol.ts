import type { BackendPreference } from '../../backends/names.ts';
import type { OptimizerSpec } from '../../experiment/definition.ts';
import type { SharedBuffers } from './buffers.ts';
import type { ModelSpec } from './model-spec.ts';

/** What a worker is started with (workerData.init). */
export interface WorkerInit {
  index: number;
  workers: number;
  spec: ModelSpec;
  optimizer: OptimizerSpec;
  backend: BackendPreference;
  buffers: SharedBuffers;
  inputShape: number[];
  classes: number;
}

export interface OptimizerWeight {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** Trainer → worker. Per-step data is in the shared buffers; messages carry only sizes. */
export type Request =
  | { type: 'step'; size: number; microBatch: number; learningRate?: number }
  /** Every worker: model.weights ← the shared weights buffer. */
  | { type: 'load-weights' }
  /** One worker: the shared weights buffer ← model.weights. */
  | { type: 'save-weights' }
  | { type: 'checksum' }
  | { type: 'memory' }
  /** Checkpoint and resume only (rare, so a copy through postMessage is fine). */
  | { type: 'get-optimizer-state' }
  | { type: 'set-optimizer-state'; state: OptimizerWeight[] };

export interface WorkerMemory {
  numTensors: number;
  numBytes: number;
  /** The wasm heap's size (it only grows); the process RSS on other backends. */
  heapBytes: number;
}

/** Worker → trainer: one reply per request, or the error that ended it. */
export type Reply =
  | { type: 'ready'; weightShapes: number[][] }
  | { type: 'done'; value?: unknown }
  | { type: 'error'; message: string; stack: string; aborted: boolean };
