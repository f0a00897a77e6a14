import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildBase } from '../models/builders/index.ts';
import { buildClassifier, classifierBase } from '../models/classifier.ts';
import { modelCost } from '../models/cost.ts';
import { applyFreezing, type FreezeResult } from '../models/freezing.ts';
import { NUM_CLASSES } from '../data/index.ts';
import type { PreprocessMode } from '../data/modes.ts';
import { freezePolicy, type ExperimentDefinition } from '../experiment/definition.ts';
import type { ProgressMode } from '../experiment/names.ts';
import { preprocessModeFor } from '../models/preprocess-mode.ts';
import { loadImagenetWeights } from '../models/index.ts';
import { loadKerasH5Weights } from '../models/weights/keras-h5.ts';
import { MOBILENET_V1_NAME, mobileNetV1Base } from '../models/weights/tfjs-layers.ts';
import type { ParamCounts } from '../run/record.ts';
import { buildJoinedClassifier, usesJoinedFeatures } from './joined-classifier.ts';

interface ModelLocations {
  weightsDir: string;
  modelsDir: string;
  /** Fetch missing weights (default true). */
  download?: boolean;
  progress?: ProgressMode;
  /** Where a warning goes (the ImageNet 224-px fallback of docs/weights.md). */
  warn?: (line: string) => void;
}

export interface RunModel {
  classifier: tf.LayersModel;
  base: tf.LayersModel;
  preprocessMode: PreprocessMode;
  freeze: FreezeResult;
}

/**
 * The experiment's model: the base (built layer for layer and loaded with its weights, or the
 * pretrained tfjs MobileNet v1 cut at its last ReLU), frozen as the definition says, inside the
 * classifier (32×32 input → UpSample → base → head → softmax).
 */
export async function buildRunModel(
  def: ExperimentDefinition,
  where: ModelLocations,
  numClasses = NUM_CLASSES,
): Promise<RunModel> {
  const m = def.model;
  const base = await loadBase(m, where);
  const freeze = applyFreezing(base, freezePolicy(m.freeze));
  const classifier = usesJoinedFeatures(m)
    ? buildJoinedClassifier(base, m, numClasses, def.seed)
    : buildClassifier(base, {
        inputSize: m.inputSize,
        resize: m.resize,
        head: { pooling: m.head.pooling, dense: m.head.dense, dropout: m.head.dropout },
        numClasses,
        seed: def.seed,
      });
  return { classifier, base, preprocessMode: preprocessModeFor(m.base), freeze };
}

async function loadBase(m: ExperimentDefinition['model'], where: ModelLocations): Promise<tf.LayersModel> {
  const fetching = { download: where.download ?? true, progress: where.progress ?? 'auto' } as const;
  if (m.weights.startsWith('pretrained:')) {
    const id = m.weights.slice('pretrained:'.length);
    if (id !== MOBILENET_V1_NAME)
      throw new Error(`model.weights: unknown pretrained model ${id} (available: ${MOBILENET_V1_NAME})`);
    return mobileNetV1Base({ modelsDir: where.modelsDir, inputSize: m.inputSize, ...fetching });
  }
  const spec = { name: m.base, ...(m.alpha === undefined ? {} : { alpha: m.alpha }), inputSize: m.inputSize };
  const base = buildBase(spec);
  if (m.weights === 'imagenet') {
    await loadImagenetWeights(base, spec, {
      weightsDir: where.weightsDir,
      ...fetching,
      onWarning: where.warn ?? (() => {}),
    });
  } else if (m.weights !== 'none') {
    const path = resolve(m.weights);
    if (!existsSync(path)) throw new Error(`model.weights: ${path} not found`);
    await loadKerasH5Weights(base, path);
  }
  return base;
}

export function paramCounts(model: tf.LayersModel): ParamCounts & { macsPerImage: number } {
  const cost = modelCost(model);
  return {
    total: cost.totalParams,
    trainable: cost.trainableParams,
    nonTrainable: cost.nonTrainableParams,
    macsPerImage: cost.macsPerImage,
  };
}

const POOLING_CLASSES = new Set(['GlobalAveragePooling2D', 'GlobalMaxPooling2D', 'Flatten']);

export interface SplitModel {
  /** 32×32 preprocessed images → pooled base features. */
  features: tf.LayersModel;
  /** Pooled features → class probabilities; shares its layers (and weights) with the classifier. */
  head: tf.LayersModel;
  featureDim: number;
}

/** Splits a classifier after its pooling layer, for training the head on cached features. */
export function splitAtPooling(classifier: tf.LayersModel): SplitModel {
  const base = classifierBase(classifier);
  const layers = classifier.layers;
  const poolIndex = layers.findIndex((l, i) => i > layers.indexOf(base) && POOLING_CLASSES.has(l.getClassName()));
  if (poolIndex < 0) throw new Error(`${classifier.name}: no pooling layer after the base`);
  const pool = layers[poolIndex]!;
  const features = tf.model({
    inputs: classifier.inputs,
    outputs: pool.output as tf.SymbolicTensor,
    name: 'base_features',
  });
  const featureDim = (pool.outputShape as number[])[1]!;
  const input = tf.input({ shape: [featureDim], name: 'features' });
  let x: tf.SymbolicTensor = input;
  for (const layer of layers.slice(poolIndex + 1)) x = layer.apply(x) as tf.SymbolicTensor;
  const head = tf.model({ inputs: input, outputs: x, name: 'head' });
  return { features, head, featureDim };
}

/** sha256 of the base's weight values (names, shapes and bytes): what "the same weights" means for the cache. */
export function weightsDigest(model: tf.LayersModel): string {
  const hash = createHash('sha256');
  for (const w of model.weights) {
    hash.update(`${w.originalName}:${w.shape.join('x')};`);
    const values = w.read().dataSync() as Float32Array;
    hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }
  return hash.digest('hex');
}
