// The backends a run can ask for. Kept free of TensorFlow.js so that checking a flag does not load it.
export type BackendPreference = 'auto' | 'gpu' | 'node' | 'wasm' | 'cpu';
export type BackendKind = Exclude<BackendPreference, 'auto'>;
export const BACKEND_PREFERENCES: readonly BackendPreference[] = ['auto', 'gpu', 'node', 'wasm', 'cpu'];
