// The base models an experiment can name. Kept free of TensorFlow.js so that validating a
// definition or a flag does not load it.
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
export type BaseName = (typeof BASE_NAMES)[number];

export function isBaseName(name: string): name is BaseName {
  return (BASE_NAMES as readonly string[]).includes(name);
}
