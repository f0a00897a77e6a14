// Public surface of src/onnx: ONNX Runtime as the engine for forward passes of fixed weights.
export { loadOnnxRuntime } from './engine/load.ts';
export { OnnxSession, type Batch } from './engine/session.ts';
export { UnsupportedLayerError } from './export/errors.ts';
export { exportOnnx, type OnnxExportOptions } from './export/export-model.ts';
export { chooseForward, OnnxForward } from './forward.ts';
export { collectOutputs } from './collect.ts';
export { writeOnnxFile, type OnnxFileCheck } from './write-file.ts';
