// src/download: fetching one remote file into a folder: streamed to a temp file, size and md5
// checked, renamed only when complete, with a progress bar; and the cache folder. Imports nothing
// else from transfer-lab.
export { cacheDir } from './cache-dir.ts';
export { download, type DownloadOptions, type RemoteFile } from './download.ts';
export { DownloadError } from './errors.ts';
export { md5File } from './md5.ts';
