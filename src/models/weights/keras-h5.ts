import * as tf from '@tensorflow/tfjs';
import { readKerasH5, type H5Layer } from './weights/keras-h5-reader.ts';
import { writeKerasH5, type WriteKerasH5Options } from './weights/keras-h5-writer.ts';

export { readKerasH5 } from './weights/keras-h5-reader.ts';
export { writeKerasH5 } from './weights/keras-h5-writer.ts';

export interface LoadKerasH5Options {
  /** Match layers by name instead of by order (Keras' `by_name=True`); file layers with no model layer of that name are skipped. */
  byName?: boolean;
}

export interface LoadKerasH5Result {
  /** The (sub)model that received the weights: the model itself, a nested base, or an inlined base prefix. */
  target: 'model' | 'nested' | 'prefix';
  targetName: string;
  layersLoaded: number;
  weightsLoaded: number;
  kerasVersion?: string;
}

/**
 * Loads a Keras 2 `.h5` weights file into a tfjs model the way Keras'
 * `load_weights_from_hdf5_group` does: the file's layers that have weights are assigned, in order,
 * to the model's layers that have weights, in `model.layers` order (tfjs sorts layers with the
 * same depth-then-traversal rule as Keras, so the orders agree); names are ignored, every shape is
 * checked, and nothing is assigned unless everything matches.
 *
 * Nested models are flattened. When the counts differ, the weights go to the one nested model
 * whose layer count matches (a classifier wrapping the base as a layer), or to the leading layers
 * when everything after them is Dense (a classifier with the base inlined and a dense head).
 */
export async function loadKerasH5Weights(
  model: tf.LayersModel,
  path: string,
  opts: LoadKerasH5Options = {},
): Promise<LoadKerasH5Result> {
  const contents = await readKerasH5(path);
  const version = contents.kerasVersion !== undefined ? { kerasVersion: contents.kerasVersion } : {};
  if (opts.byName) {
    const pairs = pairByName(model, contents.layers);
    assign(pairs, path);
    return { target: 'model', targetName: model.name, layersLoaded: pairs.length, weightsLoaded: countWeights(pairs), ...version };
  }
  const { layers, target, targetName } = chooseTarget(model, contents.layers.length, path);
  const pairs = contents.layers.map((fileLayer, i) => ({ fileLayer, layer: layers[i]! }));
  assign(pairs, path);
  return { target, targetName, layersLoaded: pairs.length, weightsLoaded: countWeights(pairs), ...version };
}

/** Writes a model's weights in the Keras 2 `.h5` layout (the format `loadKerasH5Weights` and Keras read). */
export async function saveKerasH5Weights(model: tf.LayersModel, path: string, opts: WriteKerasH5Options = {}): Promise<void> {
  const layers: H5Layer[] = flattenLayers(model).map((layer) => ({
    name: layer.name,
    weights: creationOrder(layer).map((w) => ({
      name: `${w.originalName}:0`,
      shape: w.shape.map((d) => d ?? 0),
      values: w.read().dataSync() as Float32Array,
    })),
  }));
  await writeKerasH5(path, layers, opts);
}

type Pair = { fileLayer: H5Layer; layer: tf.layers.Layer };

/** A model's layers in `model.layers` order with nested models expanded in place. */
export function flattenLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.flatMap((layer) => (isModel(layer) ? flattenLayers(layer) : [layer]));
}

export function layersWithWeights(model: tf.LayersModel): tf.layers.Layer[] {
  return flattenLayers(model).filter((l) => l.weights.length > 0);
}

function isModel(layer: tf.layers.Layer): layer is tf.LayersModel {
  return layer instanceof tf.LayersModel;
}

function nestedModels(model: tf.LayersModel): tf.LayersModel[] {
  return model.layers.filter(isModel).flatMap((m) => [m, ...nestedModels(m)]);
}

function chooseTarget(
  model: tf.LayersModel,
  fileCount: number,
  path: string,
): { layers: tf.layers.Layer[]; target: LoadKerasH5Result['target']; targetName: string } {
  const all = layersWithWeights(model);
  if (all.length === fileCount) return { layers: all, target: 'model', targetName: model.name };
  const nested = nestedModels(model).filter((m) => layersWithWeights(m).length === fileCount);
  if (nested.length === 1) return { layers: layersWithWeights(nested[0]!), target: 'nested', targetName: nested[0]!.name };
  const rest = all.slice(fileCount);
  if (all.length > fileCount && rest.every((l) => l.getClassName() === 'Dense')) {
    return { layers: all.slice(0, fileCount), target: 'prefix', targetName: model.name };
  }
  throw new Error(
    `${path}: the file has ${fileCount} layers with weights but model "${model.name}" has ${all.length}` +
      (nested.length > 1 ? ` (and ${nested.length} nested models match; load into one of them)` : '') +
      ': it was saved from a different architecture',
  );
}

function pairByName(model: tf.LayersModel, fileLayers: H5Layer[]): Pair[] {
  const byName = new Map(layersWithWeights(model).map((l) => [l.name, l]));
  return fileLayers.flatMap((fileLayer) => {
    const layer = byName.get(fileLayer.name);
    return layer ? [{ fileLayer, layer }] : [];
  });
}

/** Checks every pair first, then assigns: a mismatch leaves the model untouched. */
function assign(pairs: Pair[], path: string): void {
  for (const { fileLayer, layer } of pairs) {
    const expected = creationOrder(layer).map((w) => w.shape);
    const found = fileLayer.weights.map((w) => w.shape);
    if (expected.length !== found.length) {
      throw new Error(
        `${path}: layer "${layer.name}" (file layer "${fileLayer.name}") expects ${expected.length} weights ` +
          `${fmtShapes(expected)} but the file has ${found.length} ${fmtShapes(found)}`,
      );
    }
    expected.forEach((shape, i) => {
      if (!sameShape(shape, found[i]!)) {
        throw new Error(
          `${path}: layer "${layer.name}" weight ${creationOrder(layer)[i]!.originalName} has shape [${shape.join(',')}] ` +
            `but file layer "${fileLayer.name}" weight ${fileLayer.weights[i]!.name} has shape [${found[i]!.join(',')}]`,
        );
      }
    });
  }
  for (const { fileLayer, layer } of pairs) {
    creationOrder(layer).forEach((variable, i) => {
      const w = fileLayer.weights[i]!;
      const t = tf.tensor(w.values, w.shape, 'float32');
      try {
        variable.write(t);
      } finally {
        t.dispose();
      }
    });
  }
}

/**
 * A layer's variables in the order it created them — Keras' file order (kernel, bias; gamma, beta,
 * moving_mean, moving_variance). `layer.weights` puts trainable variables first, so it reorders
 * them when some but not all of a layer's variables are frozen.
 */
function creationOrder(layer: tf.layers.Layer): tf.LayerVariable[] {
  const own = layer as unknown as { _trainableWeights?: tf.LayerVariable[]; _nonTrainableWeights?: tf.LayerVariable[] };
  if (own._trainableWeights && own._nonTrainableWeights) return [...own._trainableWeights, ...own._nonTrainableWeights];
  return layer.weights;
}

const sameShape = (a: readonly (number | null)[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

const fmtShapes = (shapes: readonly (readonly (number | null)[])[]): string => shapes.map((s) => `[${s.join(',')}]`).join(' ');

const countWeights = (pairs: Pair[]): number => pairs.reduce((n, p) => n + p.fileLayer.weights.length, 0);

export { loadImagenetWeights, type ImagenetWeightsResult } from './weights/imagenet.ts';
