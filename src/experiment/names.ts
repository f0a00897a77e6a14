/**
 * Names the definition and the flags are checked against before TensorFlow.js loads (a bad definition
 * fails in a fraction of a second). The owners of these lists load TensorFlow.js at import time, so
 * the lists are repeated here and tests keep them equal: models' BASE_NAMES
 * (test/experiment/definition.test.ts) and backends' BACKEND_PREFERENCES (test/experiment/names.test.ts).
 */
export const BASE_NAMES = [
  'densenet121',
  'densenet169',
  'densenet201',
  'mobilenetv2',
  'mobilenetv1',
  'inceptionv3',
  'resnet50',
  'resnet101',
  'resnet152',
] as const;

export const BACKEND_CHOICES = ['auto', 'gpu', 'node', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export const PROGRESS_MODES = ['auto', 'bar', 'lines', 'none'] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];
