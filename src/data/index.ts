// src/data: CIFAR-10 on disk (locate, extract, parse), splits, seeded randomness, augmentation,
// resizing, Keras' preprocess_input modes, and batching. Imports download/ only.
export { CIFAR10_CLASSES, NUM_CLASSES, readClassNames } from './classes.ts';
export {
  CIFAR10_ARCHIVE,
  CIFAR10_FILES,
  CIFAR10_FOLDER,
  CIFAR10_META_FILE,
  CIFAR10_TEST_FILE,
  CIFAR10_TRAIN_FILES,
  IMAGE_SIZE,
  PIXELS_PER_IMAGE,
  RECORD_BYTES,
} from './cifar10-files.ts';
export { classCounts, imageView, selectImages, type ImageSet } from './image-set.ts';
export { decodeRecords, loadBatchFiles, loadCifar10, type Cifar10 } from './parse.ts';
export { extractCifar10Archive } from './extract.ts';
export {
  Cifar10NotFoundError,
  cifar10Root,
  missingCifar10Files,
  resolveCifar10Dir,
  type ResolveCifar10Options,
} from './locate.ts';
export { mixSeed, mulberry32, shuffleInPlace } from './random.ts';
export { splitValidation, stratifiedSubset } from './splits.ts';
export {
  preprocess,
  preprocessTable,
  CAFFE_MEAN_BGR,
  TORCH_MEAN,
  TORCH_STD,
  type PreprocessTable,
} from './preprocess.ts';
export { resizeBatch } from './resize.ts';
export { PREPROCESS_MODES, RESIZE_MODES, type PreprocessMode, type ResizeMode } from './modes.ts';
export { drawAugmentation, writeAugmented, type AugmentDraw, type AugmentOptions } from './augment.ts';
export { batchCount, batches, epochOrder, type Batch, type BatchOptions } from './batches.ts';
