import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cacheDir, download, md5File, type RemoteFile } from '../../download/index.ts';
import { kerasWeightsFile, type WeightsSpec } from '../weight-files.ts';

export interface ResolveWeightsOptions {
  /** `--weights-dir`; else TRANSFERLAB_WEIGHTS_DIR; else `<cache>/models`. */
  weightsDir?: string;
  /** Download when missing (default true). */
  download?: boolean;
  progress?: 'auto' | 'bar' | 'lines' | 'none';
  fetchImpl?: typeof fetch;
  env?: NodeJS.ProcessEnv;
  /** Overrides the official file (tests, mirrors). */
  file?: RemoteFile;
}

export function weightsDir(opts: Pick<ResolveWeightsOptions, 'weightsDir' | 'env'> = {}): string {
  const env = opts.env ?? process.env;
  if (opts.weightsDir) return resolve(opts.weightsDir);
  if (env.TRANSFERLAB_WEIGHTS_DIR) return resolve(env.TRANSFERLAB_WEIGHTS_DIR);
  return join(cacheDir(env), 'models');
}

/**
 * The local path of a base's official Keras weights: found in the weights folder (and verified
 * against the published md5, or size where Keras publishes no hash), else downloaded there once.
 */
export async function resolveWeights(spec: WeightsSpec, opts: ResolveWeightsOptions = {}): Promise<string> {
  const file = opts.file ?? kerasWeightsFile(spec);
  const dir = weightsDir(opts);
  const path = join(dir, file.fileName);
  const hint = `put ${file.url} there, or point --weights-dir / TRANSFERLAB_WEIGHTS_DIR at a folder that holds ${file.fileName}`;
  if (existsSync(path)) {
    const problem = await verify(path, file);
    if (!problem) return path;
    if (opts.download === false) throw new Error(`weights: ${path} ${problem}; ${hint}`);
  } else if (opts.download === false) {
    throw new Error(`weights: ${path} not found and downloads are off; ${hint}`);
  }
  // download() re-checks size/md5, replaces a corrupt copy, and fails with one line naming URL and path.
  return download(file, dir, {
    hint: `or point --weights-dir / TRANSFERLAB_WEIGHTS_DIR at a folder that holds ${file.fileName}`,
    ...(opts.progress ? { progress: opts.progress } : {}),
    ...(opts.fetchImpl ? { fetchImpl: opts.fetchImpl } : {}),
  });
}

async function verify(path: string, file: RemoteFile): Promise<string | null> {
  if (file.size !== undefined && statSync(path).size !== file.size) {
    return `has ${statSync(path).size} bytes, expected ${file.size}`;
  }
  if (file.md5) {
    const md5 = await md5File(path);
    if (md5 !== file.md5) return `has md5 ${md5}, expected ${file.md5}`;
  }
  return null;
}
