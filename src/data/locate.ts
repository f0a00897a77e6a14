import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { download, DownloadError, type DownloadOptions, type RemoteFile } from '../download/index.ts';
import { CIFAR10_ARCHIVE, CIFAR10_FILES, CIFAR10_FOLDER } from './cifar10-files.ts';
import { extractCifar10Archive } from './extract.ts';

interface ResolveCifar10Options {
  /** The folder holding cifar-10-batches-bin/, or that folder itself (experiment/locations.ts resolves it). */
  dataDir: string;
  /** Fetch the official archive when the files are missing (default true). */
  download?: boolean;
  /** Another source for the archive (tests, mirrors). */
  archive?: RemoteFile;
  progress?: DownloadOptions['progress'];
  fetchImpl?: typeof fetch;
  /** Keep the .tar.gz after extracting it (default false). */
  keepArchive?: boolean;
}

const missingCifar10Files = (dir: string): string[] => CIFAR10_FILES.filter((f) => !existsSync(join(dir, f)));

/** Missing files with no way to fetch them: one line naming the URL, the expected files and where to put them. */
export class Cifar10NotFoundError extends Error {
  override name = 'Cifar10NotFoundError';
}

/**
 * The folder holding the seven CIFAR-10 files. Looks in the root itself and in root/cifar-10-batches-bin;
 * when neither has them, downloads and safely extracts the official archive into root/cifar-10-batches-bin
 * (or into root when root is itself named cifar-10-batches-bin).
 */
export async function resolveCifar10Dir(opts: ResolveCifar10Options): Promise<string> {
  const root = resolve(opts.dataDir);
  for (const dir of [root, join(root, CIFAR10_FOLDER)]) if (missingCifar10Files(dir).length === 0) return dir;

  const target = basename(root) === CIFAR10_FOLDER ? root : join(root, CIFAR10_FOLDER);
  const archive = opts.archive ?? CIFAR10_ARCHIVE;
  const missing = missingCifar10Files(target);
  const whatToDo =
    `download ${archive.url}${archive.md5 ? ` (md5 ${archive.md5})` : ''} ` +
    `by hand and extract it in ${dirname(target)}, ` +
    `so that ${target} holds ${CIFAR10_FILES.join(', ')}; or point ` +
    `--data-dir or TRANSFERLAB_DATA_DIR at a folder that has them`;
  const notFound = (why: string): Cifar10NotFoundError =>
    new Cifar10NotFoundError(`CIFAR-10 not found: ${target} lacks ${missing.join(', ')}${why}; ${whatToDo}`);
  if (opts.download === false) throw notFound(' (downloading is off)');

  let archivePath: string;
  try {
    archivePath = await download(archive, dirname(target), { progress: opts.progress, fetchImpl: opts.fetchImpl });
  } catch (err) {
    if (err instanceof DownloadError) throw notFound(` and downloading it failed: ${err.reason}`);
    throw err;
  }
  try {
    await extractCifar10Archive(archivePath, target);
  } catch (err) {
    await rm(archivePath, { force: true });
    throw err;
  }
  if (!opts.keepArchive) await rm(archivePath, { force: true });
  return target;
}
