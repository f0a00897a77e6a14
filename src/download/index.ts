export { cacheDir } from './cache-dir.ts';
export { download, type DownloadOptions, type RemoteFile } from './download.ts';
export { DownloadError } from './errors.ts';
export { md5File } from './md5.ts';
export type { ProgressMode } from './progress.ts';
