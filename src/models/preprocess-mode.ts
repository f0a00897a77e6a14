import type { PreprocessMode } from '../data/modes.ts';
import type { BaseName } from './names.ts';

/** How inputs are scaled before each base, as Keras' `preprocess_input` for that application. */

const MODES: Record<BaseName, PreprocessMode> = {
  densenet121: 'torch', // /255, then ImageNet mean/std per RGB channel
  densenet169: 'torch',
  densenet201: 'torch',
  mobilenetv2: 'tf', // /127.5 − 1
  mobilenetv1: 'tf',
  inceptionv3: 'tf',
  resnet50: 'caffe', // RGB→BGR, minus the BGR means, no scaling
  resnet101: 'caffe',
  resnet152: 'caffe',
};

export function preprocessModeFor(name: string): PreprocessMode {
  const mode = (MODES as Record<string, PreprocessMode | undefined>)[name];
  if (!mode)
    throw new Error(
      `preprocessModeFor: unknown base model "${name}": expected one of ${Object.keys(MODES).join(', ')}`,
    );
  return mode;
}
