// src/backends: picks and sets up the TensorFlow.js backend (tfjs-node GPU/CPU, wasm, cpu) and
// registers our wasm training kernels. The only folder that imports a backend package; imports
// models/ for the names of the kernels its custom ops look up.
export { BackendUnavailableError, describeChoice, selectBackend, type BackendChoice } from './select.ts';
export { BACKEND_PREFERENCES, type BackendKind, type BackendPreference } from './names.ts';
export { registerWasmTrainingKernels, WASM_TRAINING_KERNELS } from './wasm-kernels/register.ts';
