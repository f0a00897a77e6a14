// src/models/builders: the Keras applications rebuilt block by block (densenet.py style), and
// buildBase, which picks one by name. Imports only models/layers and models/names.ts.
import type * as tf from '@tensorflow/tfjs';
import { buildDenseNet } from './densenet.ts';
import { buildInceptionV3 } from './inception-v3.ts';
import { buildMobileNetV1 } from './mobilenet-v1.ts';
import { buildMobileNetV2 } from './mobilenet-v2.ts';
import { buildResNet } from './resnet.ts';
import { BASE_NAMES, isBaseName, type BaseName } from '../names.ts';

export interface BaseSpec {
  name: BaseName;
  /** Width multiplier (MobileNet v1/v2 only); default 1.0. */
  alpha?: number;
  /** Square input size in pixels. */
  inputSize: number;
}

/** A Keras `include_top=False` application model, layer for layer, with random weights. */
export function buildBase(spec: BaseSpec): tf.LayersModel {
  const { name, inputSize } = spec;
  if (!isBaseName(name)) {
    throw new Error(`unknown base model "${String(name)}": expected one of ${BASE_NAMES.join(', ')}`);
  }
  if (spec.alpha != null && name !== 'mobilenetv1' && name !== 'mobilenetv2' && spec.alpha !== 1) {
    throw new Error(`${name}: alpha applies to mobilenetv1/mobilenetv2 only, got ${spec.alpha}`);
  }
  switch (name) {
    case 'densenet121':
    case 'densenet169':
    case 'densenet201':
      return buildDenseNet(name, inputSize);
    case 'mobilenetv2':
      return buildMobileNetV2(inputSize, spec.alpha ?? 1.0);
    case 'mobilenetv1':
      return buildMobileNetV1(inputSize, spec.alpha ?? 1.0);
    case 'inceptionv3':
      return buildInceptionV3(inputSize);
    case 'resnet50':
    case 'resnet101':
    case 'resnet152':
      return buildResNet(name, inputSize);
  }
}
