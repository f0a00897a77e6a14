// How images can be resized and preprocessed (implemented in resize.ts and preprocess.ts). Kept
// free of TensorFlow.js so that validating a definition does not load it.
export type PreprocessMode = 'torch' | 'tf' | 'caffe' | 'none';
export const PREPROCESS_MODES: readonly PreprocessMode[] = ['torch', 'tf', 'caffe', 'none'];

export type ResizeMode = 'bilinear' | 'nearest' | 'pad';
export const RESIZE_MODES: readonly ResizeMode[] = ['bilinear', 'nearest', 'pad'];
