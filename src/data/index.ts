// src/data: CIFAR-10 on disk (locate, extract, parse), splits, seeded randomness, augmentation,
// resizing, Keras' preprocess_input modes, and batching. Imports download/ only. classes.ts and
// modes.ts hold the names an experiment may use and load no TensorFlow.js: import them directly.
export { CIFAR10_CLASSES, NUM_CLASSES, readClassNames } from './classes.ts';
export { CIFAR10_FILES, PIXELS_PER_IMAGE, RECORD_BYTES } from './cifar10-files.ts';
export { classCounts, imageView, type ImageSet } from './image-set.ts';
export { decodeRecords, loadBatchFiles, loadCifar10 } from './parse.ts';
export { extractCifar10Archive } from './extract.ts';
export { Cifar10NotFoundError, resolveCifar10Dir } from './locate.ts';
export { mulberry32 } from './random.ts';
export { splitValidation, stratifiedSubset } from './splits.ts';
export { CAFFE_MEAN_BGR, TORCH_MEAN, TORCH_STD, preprocess, preprocessTable } from './preprocess.ts';
export { resizeBatch } from './resize.ts';
export { PREPROCESS_MODES, type PreprocessMode } from './modes.ts';
export { drawAugmentation, writeAugmented, type AugmentOptions } from './augment.ts';
export { batchCount, batches, epochOrder, type Batch, type BatchOptions } from './batches.ts';
