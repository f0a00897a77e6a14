import h5wasm from 'h5wasm/node';

/** h5wasm's module, initialised once. */
export async function h5(): Promise<typeof h5wasm> {
  await h5wasm.ready;
  return h5wasm;
}

export type H5Group = InstanceType<typeof h5wasm.Group>;
export type H5File = InstanceType<typeof h5wasm.File>;

/**
 * Whether `path` (relative, `/`-separated) exists below `group`. Checked level by level so that
 * missing paths never reach libhdf5, which would print diagnostics on stderr.
 */
export function h5Exists(group: H5Group, path: string): boolean {
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
export function h5EnsureGroup(group: H5Group, path: string): H5Group {
  let current = group;
  for (const part of path.split('/').filter((p) => p.length > 0)) {
    const next = current.keys().includes(part) ? current.get(part) : current.create_group(part);
    if (!(next instanceof h5wasm.Group)) throw new Error(`${current.path}/${part} exists and is not a group`);
    current = next;
  }
  return current;
}
