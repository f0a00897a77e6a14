import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { h5, h5EnsureGroup, type H5Group } from './h5.ts';
import type { H5Layer } from './keras-h5-reader.ts';

/** Keras' HDF5_OBJECT_HEADER_LIMIT: larger attributes are split into `name0`, `name1`, … */
export const HDF5_OBJECT_HEADER_LIMIT = 64512;

export interface WriteKerasH5Options {
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
    writeStringList(root, 'layer_names', layers.map((l) => l.name), strings, limit);
    root.create_attribute('backend', 'tensorflow');
    root.create_attribute('keras_version', opts.kerasVersion ?? '2.15.0');
    for (const layer of layers) {
      const group = h5EnsureGroup(root, layer.name);
      if (layer.weights.length === 0) {
        group.create_attribute('weight_names', new Float64Array(0), [0], '<d');
        continue;
      }
      writeStringList(group, 'weight_names', layer.weights.map((w) => w.name), strings, limit);
      for (const weight of layer.weights) {
        const slash = weight.name.lastIndexOf('/');
        const parent = slash >= 0 ? h5EnsureGroup(group, weight.name.slice(0, slash)) : group;
        const expected = weight.shape.reduce((a, b) => a * b, 1);
        if (expected !== weight.values.length) {
          throw new Error(`${path}: ${layer.name}/${weight.name} has ${weight.values.length} values for shape [${weight.shape}]`);
        }
        parent.create_dataset({ name: weight.name.slice(slash + 1), data: weight.values, shape: weight.shape, dtype: '<f4' });
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

function writeStringList(group: H5Group, name: string, values: string[], strings: 'fixed' | 'vlen', limit: number): void {
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
