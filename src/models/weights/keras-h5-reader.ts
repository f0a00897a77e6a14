import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { h5, h5Exists, type H5Group } from './h5.ts';

export interface H5Weight {
  /** The full Keras weight name, e.g. `conv1/conv/kernel:0`. */
  name: string;
  shape: number[];
  values: Float32Array;
}

export interface H5Layer {
  name: string;
  weights: H5Weight[];
}

export interface KerasH5Contents {
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
    throw new Error(`${path}: not a readable HDF5 file (${(err as Error).message ?? err})`);
  }
  try {
    let root: H5Group = file;
    if (!hasListAttr(file, 'layer_names')) {
      const mw = h5Exists(file, 'model_weights') ? file.get('model_weights') : null;
      if (!(mw instanceof lib.Group) || !hasListAttr(mw, 'layer_names')) {
        if (h5Exists(file, 'layers')) {
          throw new Error(`${path}: a Keras 3 .weights.h5 file (no layer_names); save it with Keras 2 or as legacy .h5`);
        }
        throw new Error(`${path}: no layer_names attribute at the root or in model_weights: not a Keras weights file`);
      }
      root = mw;
    }
    const layerNames = readStringList(root, 'layer_names', path);
    const layers: H5Layer[] = [];
    for (const layerName of layerNames) {
      if (!h5Exists(root, layerName)) throw new Error(`${path}: layer_names lists "${layerName}" but there is no group for it`);
      const group = root.get(layerName);
      if (!(group instanceof lib.Group)) throw new Error(`${path}: "${layerName}" is not a group`);
      const weightNames = hasListAttr(group, 'weight_names') ? readStringList(group, 'weight_names', path) : [];
      if (weightNames.length === 0) continue;
      const weights = weightNames.map((weightName) => {
        if (!h5Exists(group, weightName)) {
          throw new Error(`${path}: layer "${layerName}" lists weight "${weightName}" but has no such dataset`);
        }
        const ds = group.get(weightName);
        if (!(ds instanceof lib.Dataset)) throw new Error(`${path}: "${layerName}/${weightName}" is not a dataset`);
        return { name: weightName, shape: ds.shape ?? [], values: toFloat32(ds.value, `${path}: ${layerName}/${weightName}`) };
      });
      layers.push({ name: layerName, weights });
    }
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
  return typeof v === 'string' ? stripNul(v) : Array.isArray(v) && typeof v[0] === 'string' ? stripNul(v[0]) : undefined;
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
