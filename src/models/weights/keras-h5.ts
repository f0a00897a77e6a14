// Keras 2 `.h5` weights: reading and writing the HDF5 layout Keras' `save_weights` uses (with
// h5wasm, libhdf5 compiled to wasm), and loading a file into a tfjs model by order or by name.
import * as tf from '@tensorflow/tfjs';
import h5wasm from 'h5wasm/node';
import { existsSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** h5wasm's module, initialised once. */
async function h5(): Promise<typeof h5wasm> {
  await h5wasm.ready;
  return h5wasm;
}

type H5Group = InstanceType<typeof h5wasm.Group>;
/**
 * Whether `path` (relative, `/`-separated) exists below `group`. Checked level by level so that
 * missing paths never reach libhdf5, which would print diagnostics on stderr.
 */
function h5Exists(group: H5Group, path: string): boolean {
  let current: H5Group = group;
  const parts = path.split('/').filter((p) => p.length > 0);
  for (const [i, part] of parts.entries()) {
    if (!current.keys().includes(part)) return false;
    if (i === parts.length - 1) return true;
    const next = current.get(part);
    if (!(next instanceof h5wasm.Group)) return false;
    current = next;
  }
  return true;
}

/** Creates every missing group along `path` and returns the last one. */
function h5EnsureGroup(group: H5Group, path: string): H5Group {
  let current = group;
  for (const part of path.split('/').filter((p) => p.length > 0)) {
    const next = current.keys().includes(part) ? current.get(part) : current.create_group(part);
    if (!(next instanceof h5wasm.Group)) throw new Error(`${current.path}/${part} exists and is not a group`);
    current = next;
  }
  return current;
}

interface H5Weight {
  /** The full Keras weight name, e.g. `conv1/conv/kernel:0`. */
  name: string;
  shape: number[];
  values: Float32Array;
}

export interface H5Layer {
  name: string;
  weights: H5Weight[];
}

interface KerasH5Contents {
  /** Every name in the root `layer_names`, weightless layers included, in file order. */
  layerNames: string[];
  /** Layers with a non-empty `weight_names`, in file order (what Keras loads by order). */
  layers: H5Layer[];
  kerasVersion?: string;
  backend?: string;
  /** `model_weights` when the file is a full-model save, else `/`. */
  weightsRoot: string;
}

/**
 * Reads a Keras 2 (legacy HDF5) weights file: `save_weights(...h5)` files, the downloadable
 * application files, and full-model saves (structure under `model_weights`). Handles both string
 * encodings of the name attributes (h5py 2 fixed-length NULLPAD, h5py 3 variable-length) and
 * attributes split into `name0`, `name1`, … when they exceeded HDF5's object header limit.
 */
export async function readKerasH5(file_: string): Promise<KerasH5Contents> {
  // h5wasm's file system does not share the process' working directory.
  const path = resolve(file_);
  if (!existsSync(path)) throw new Error(`${path}: weights file not found`);
  if (!(await hasHdf5Signature(path))) throw new Error(`${path}: not a readable HDF5 file (no HDF5 signature)`);
  const lib = await h5();
  let file;
  try {
    file = new lib.File(path, 'r');
  } catch (err) {
    throw new Error(`${path}: not a readable HDF5 file (${(err as Error).message ?? err})`, { cause: err });
  }
  try {
    const root = weightsGroup(lib, file, path);
    const layerNames = readStringList(root, 'layer_names', path);
    const layers = layerNames.map((name) => readLayer(lib, root, name, path)).filter((l) => l.weights.length > 0);
    const kerasVersion = optionalString(root, 'keras_version') ?? optionalString(file, 'keras_version');
    const backend = optionalString(root, 'backend') ?? optionalString(file, 'backend');
    return {
      layerNames,
      layers,
      weightsRoot: root === file ? '/' : 'model_weights',
      ...(kerasVersion !== undefined ? { kerasVersion } : {}),
      ...(backend !== undefined ? { backend } : {}),
    };
  } finally {
    file.close();
  }
}

type H5Lib = Awaited<ReturnType<typeof h5>>;

/** The group holding `layer_names`: the root, or `model_weights` in a full-model save. */
function weightsGroup(lib: H5Lib, file: H5Group, path: string): H5Group {
  if (hasListAttr(file, 'layer_names')) return file;
  const mw = h5Exists(file, 'model_weights') ? file.get('model_weights') : null;
  if (mw instanceof lib.Group && hasListAttr(mw, 'layer_names')) return mw;
  if (h5Exists(file, 'layers')) {
    throw new Error(`${path}: a Keras 3 .weights.h5 file (no layer_names); save it with Keras 2 or as legacy .h5`);
  }
  throw new Error(`${path}: no layer_names attribute at the root or in model_weights: not a Keras weights file`);
}

/** One layer's weights in `weight_names` order (none for a weightless layer). */
function readLayer(lib: H5Lib, root: H5Group, layerName: string, path: string): H5Layer {
  if (!h5Exists(root, layerName)) {
    throw new Error(`${path}: layer_names lists "${layerName}" but there is no group for it`);
  }
  const group = root.get(layerName);
  if (!(group instanceof lib.Group)) throw new Error(`${path}: "${layerName}" is not a group`);
  const weightNames = hasListAttr(group, 'weight_names') ? readStringList(group, 'weight_names', path) : [];
  const weights = weightNames.map((weightName) => {
    if (!h5Exists(group, weightName)) {
      throw new Error(`${path}: layer "${layerName}" lists weight "${weightName}" but has no such dataset`);
    }
    const ds = group.get(weightName);
    if (!(ds instanceof lib.Dataset)) throw new Error(`${path}: "${layerName}/${weightName}" is not a dataset`);
    const values = toFloat32(ds.value, `${path}: ${layerName}/${weightName}`);
    return { name: weightName, shape: ds.shape ?? [], values };
  });
  return { name: layerName, weights };
}

function hasListAttr(group: H5Group, name: string): boolean {
  const attrs = Object.keys(group.attrs);
  return attrs.includes(name) || attrs.includes(`${name}0`);
}

/** Keras' `load_attributes_from_hdf5_group`: `name`, or the chunks `name0`, `name1`, … in order. */
function readStringList(group: H5Group, name: string, path: string): string[] {
  const attrs = Object.keys(group.attrs);
  if (attrs.includes(name)) return asStrings(group.get_attribute(name, false), `${path}: ${group.path} @${name}`);
  const out: string[] = [];
  for (let i = 0; attrs.includes(`${name}${i}`); i++) {
    out.push(...asStrings(group.get_attribute(`${name}${i}`, false), `${path}: ${group.path} @${name}${i}`));
  }
  return out;
}

function asStrings(value: unknown, where: string): string[] {
  // Weightless layers store an empty float64 array rather than an empty string array.
  if (ArrayBuffer.isView(value)) {
    if ((value as unknown as ArrayLike<unknown>).length === 0) return [];
    throw new Error(`${where}: expected a list of strings, found numbers`);
  }
  if (typeof value === 'string') return [stripNul(value)];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.map(stripNul);
  if (value == null) return [];
  throw new Error(`${where}: expected a list of strings`);
}

const stripNul = (s: string): string => s.replace(/\0+$/, '');

function optionalString(group: H5Group, name: string): string | undefined {
  if (!Object.keys(group.attrs).includes(name)) return undefined;
  const v = group.get_attribute(name, false);
  return typeof v === 'string'
    ? stripNul(v)
    : Array.isArray(v) && typeof v[0] === 'string'
      ? stripNul(v[0])
      : undefined;
}

function toFloat32(value: unknown, where: string): Float32Array {
  if (value instanceof Float32Array) return value;
  if (value instanceof Float64Array) return Float32Array.from(value);
  if (typeof value === 'number') return Float32Array.of(value);
  throw new Error(`${where}: unsupported dataset type (expected float32 or float64)`);
}

const SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** HDF5's superblock signature sits at byte 0, 512, 1024, 2048, … (after an optional user block). */
async function hasHdf5Signature(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const buf = Buffer.alloc(8);
    for (let offset = 0; offset + 8 <= size; offset = offset === 0 ? 512 : offset * 2) {
      await handle.read(buf, 0, 8, offset);
      if (buf.equals(SIGNATURE)) return true;
    }
    return false;
  } finally {
    await handle.close();
  }
}

/** Keras' HDF5_OBJECT_HEADER_LIMIT: larger attributes are split into `name0`, `name1`, … */
const HDF5_OBJECT_HEADER_LIMIT = 64512;

interface WriteKerasH5Options {
  /** `fixed`: NUL-terminated fixed-length ASCII, as h5py 2 wrote the downloadable files; `vlen`: as h5py 3 writes. */
  strings?: 'fixed' | 'vlen';
  /** Split string-list attributes above this many bytes (Keras: 64512). */
  attributeLimit?: number;
  /** Put the structure under `model_weights`, as a full-model `model.save(...h5)` does. */
  underModelWeights?: boolean;
  kerasVersion?: string;
}

/**
 * Writes layers in the Keras 2 `save_weights_to_hdf5_group` layout: root `layer_names` (every
 * layer, weightless ones included), one group per layer (a `/` in a name nests groups) with
 * `weight_names` (an empty float64 array for weightless layers) and float32 datasets stored
 * under the full weight names. Written to a temp file, then renamed.
 */
export async function writeKerasH5(file_: string, layers: H5Layer[], opts: WriteKerasH5Options = {}): Promise<void> {
  const path = resolve(file_);
  const lib = await h5();
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const file = new lib.File(tmp, 'w');
  try {
    const root: H5Group = opts.underModelWeights ? file.create_group('model_weights') : file;
    const limit = opts.attributeLimit ?? HDF5_OBJECT_HEADER_LIMIT;
    const strings = opts.strings ?? 'fixed';
    writeStringList(
      root,
      'layer_names',
      layers.map((l) => l.name),
      strings,
      limit,
    );
    root.create_attribute('backend', 'tensorflow');
    root.create_attribute('keras_version', opts.kerasVersion ?? '2.15.0');
    for (const layer of layers) {
      const group = h5EnsureGroup(root, layer.name);
      if (layer.weights.length === 0) {
        group.create_attribute('weight_names', new Float64Array(0), [0], '<d');
        continue;
      }
      writeStringList(
        group,
        'weight_names',
        layer.weights.map((w) => w.name),
        strings,
        limit,
      );
      for (const weight of layer.weights) {
        const slash = weight.name.lastIndexOf('/');
        const parent = slash >= 0 ? h5EnsureGroup(group, weight.name.slice(0, slash)) : group;
        const expected = weight.shape.reduce((a, b) => a * b, 1);
        if (expected !== weight.values.length) {
          throw new Error(
            `${path}: ${layer.name}/${weight.name} has ${weight.values.length} values for shape [${weight.shape}]`,
          );
        }
        parent.create_dataset({
          name: weight.name.slice(slash + 1),
          data: weight.values,
          shape: weight.shape,
          dtype: '<f4',
        });
      }
    }
  } catch (err) {
    file.close();
    await rm(tmp, { force: true });
    throw err;
  }
  file.close();
  await rename(tmp, path);
}

function writeStringList(
  group: H5Group,
  name: string,
  values: string[],
  strings: 'fixed' | 'vlen',
  limit: number,
): void {
  const width = Math.max(1, ...values.map((v) => Buffer.byteLength(v)));
  const bytes = (n: number) => n * (strings === 'fixed' ? width : width + 16);
  let chunks = 1;
  while (bytes(Math.ceil(values.length / chunks)) > limit && chunks < values.length) chunks++;
  const parts = chunks === 1 ? [values] : splitEven(values, chunks);
  parts.forEach((part, i) => {
    const attrName = chunks === 1 ? name : `${name}${i}`;
    if (strings === 'fixed') group.create_attribute(attrName, part, [part.length], `A${width}`);
    else group.create_attribute(attrName, part, [part.length]);
  });
}

/** numpy.array_split: the first `n % k` parts get one extra element. */
function splitEven<T>(values: T[], k: number): T[][] {
  const base = Math.floor(values.length / k);
  const extra = values.length % k;
  const out: T[][] = [];
  let start = 0;
  for (let i = 0; i < k; i++) {
    const size = base + (i < extra ? 1 : 0);
    out.push(values.slice(start, start + size));
    start += size;
  }
  return out;
}

interface LoadKerasH5Options {
  /**
   * Match layers by name instead of by order (Keras' `by_name=True`); file layers with no model
   * layer of that name are skipped.
   */
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
    return {
      target: 'model',
      targetName: model.name,
      layersLoaded: pairs.length,
      weightsLoaded: countWeights(pairs),
      ...version,
    };
  }
  const { layers, target, targetName } = chooseTarget(model, contents.layers.length, path);
  const pairs = contents.layers.map((fileLayer, i) => ({ fileLayer, layer: layers[i]! }));
  assign(pairs, path);
  return { target, targetName, layersLoaded: pairs.length, weightsLoaded: countWeights(pairs), ...version };
}

/** Writes a model's weights in the Keras 2 `.h5` layout (the format `loadKerasH5Weights` and Keras read). */
export async function saveKerasH5Weights(
  model: tf.LayersModel,
  path: string,
  opts: WriteKerasH5Options = {},
): Promise<void> {
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
function flattenLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.flatMap((layer) => (isModel(layer) ? flattenLayers(layer) : [layer]));
}

function layersWithWeights(model: tf.LayersModel): tf.layers.Layer[] {
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
  if (nested.length === 1)
    return { layers: layersWithWeights(nested[0]!), target: 'nested', targetName: nested[0]!.name };
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
          `${path}: layer "${layer.name}" weight ${creationOrder(layer)[i]!.originalName} ` +
            `has shape [${shape.join(',')}] but file layer "${fileLayer.name}" ` +
            `weight ${fileLayer.weights[i]!.name} has shape [${found[i]!.join(',')}]`,
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

const fmtShapes = (shapes: readonly (readonly (number | null)[])[]): string =>
  shapes.map((s) => `[${s.join(',')}]`).join(' ');

const countWeights = (pairs: Pair[]): number => pairs.reduce((n, p) => n + p.fileLayer.weights.length, 0);
