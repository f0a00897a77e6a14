// src/backends: picks and sets up the TensorFlow.js backend (tfjs-node GPU/CPU, wasm, cpu) and
// registers our wasm training kernels. The only folder that imports a backend package; imports
// models/ only for the names of the kernels its custom ops look up. names.ts loads no TensorFlow.js.
export { BackendUnavailableError, describeChoice, selectBackend, type BackendChoice } from './select.ts';
export type { BackendPreference } from './names.ts';
