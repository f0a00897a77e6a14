// `--engine`: which engine runs the forward passes of fixed weights (no imports, so the CLI can check
// the flag before TensorFlow.js loads).
export const ENGINE_PREFERENCES = ['auto', 'onnx', 'tfjs'] as const;
export type EnginePreference = (typeof ENGINE_PREFERENCES)[number];
