// src/models: Keras-faithful base models rebuilt in TensorFlow.js (builders/), the classifier
// around them, freezing, cost figures, BN folding for inference, our custom layers, and weights
// in Keras .h5 / ImageNet / tfjs layers format (weights/). May import data/ (resize and
// preprocess modes) and download/; never a backend: models run on whatever backend is set.
export { buildBase } from './builders/index.ts';
export { buildClassifier, headLayers } from './classifier.ts';
export { bnScaleOffset64, foldBatchNorm, type BatchNormFields, type InferenceModel } from './inference/fold.ts';
export { FreezableBatchNormalization, freezableBatchNorm, batchNormInference } from './layers/freezable-batch-norm.ts';
export { fastRelu6Enabled, useFastRelu6 } from './layers/relu6.ts';
export { mobileNetV1Base } from './weights/tfjs-layers.ts';
export { loadImagenetWeights } from './weights/imagenet.ts';
export { classifierBase } from './classifier.ts';
export { applyFreezing } from './freezing.ts';
export { type BaseName } from './names.ts';
export { UpSample } from './layers/up-sample.ts';
export { FeatureNormalization } from './layers/feature-normalization.ts';
export { loadPretrainedMobileNetV1 } from './weights/tfjs-layers.ts';
