export {
  BACKEND_PREFERENCES, BackendUnavailableError, describeChoice, selectBackend,
  type BackendChoice, type BackendKind, type BackendPreference,
} from './select.ts';
export { registerWasmTrainingKernels, WASM_TRAINING_KERNELS } from './wasm-kernels/register.ts';
export { batchNormTraining, type BatchNormTrainingResult } from './ops/batch-norm-training.ts';
