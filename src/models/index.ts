// Public surface of src/models (see docs/ARCHITECTURE.md and docs/models.md).
export * from './builders/index.ts';
export { makeDivisible, correctPad } from './builders/mobilenet-v2.ts';
export * from './classifier.ts';
export * from './freezing.ts';
export * from './preprocess-mode.ts';
export * from './layers/freezable-batch-norm.ts';
export * from './layers/up-sample.ts';
export * from './layers/relu6.ts';
export * from './inference/index.ts';
export * from './weights-h5.ts';
export * from './weight-files.ts';
export * from './file-io.ts';
export * from './pretrained.ts';
export * from './cost.ts';
