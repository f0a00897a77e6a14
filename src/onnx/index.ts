// Public surface of src/onnx: ONNX Runtime as the engine for forward passes of fixed weights.
export { loadOnnxRuntime, type OnnxRuntime, type Ort, type OrtLoader } from './engine/load.ts';
export { OnnxSession, type Batch, type ExecutionProvider, type OnnxSessionOptions } from './engine/session.ts';
export { UnsupportedLayerError } from './export/errors.ts';
export { exportOnnx, type OnnxExport, type OnnxExportOptions, type OnnxExportValue } from './export/export-model.ts';
export {
  chooseForward,
  OnnxForward,
  type ChooseForwardOptions,
  type EngineInfo,
  type ForwardChoice,
} from './forward.ts';
export { collectOutputs, type CollectOptions } from './collect.ts';
export { writeOnnxFile, type OnnxFileCheck } from './write-file.ts';
