import type { RemoteFile } from '../download/index.ts';

/** The official binary archive (University of Toronto). */
export const CIFAR10_ARCHIVE: RemoteFile = {
  url: 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz',
  fileName: 'cifar-10-binary.tar.gz',
  md5: 'c32a1d4ab5d03f1284b67883e8d87530',
  size: 170_052_171,
};

/** The folder the archive unpacks to. */
export const CIFAR10_FOLDER = 'cifar-10-batches-bin';
export const CIFAR10_TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
export const CIFAR10_TEST_FILE = 'test_batch.bin';
export const CIFAR10_META_FILE = 'batches.meta.txt';
/** The seven files the project needs; the archive's readme.html is tolerated and skipped. */
export const CIFAR10_FILES = [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE, CIFAR10_META_FILE];

export const IMAGE_SIZE = 32;
export const CHANNELS = 3;
export const PIXELS_PER_IMAGE = IMAGE_SIZE * IMAGE_SIZE * CHANNELS;
/** One label byte, then the red, green and blue planes. */
export const RECORD_BYTES = 1 + PIXELS_PER_IMAGE;
export const RECORDS_PER_FILE = 10_000;
