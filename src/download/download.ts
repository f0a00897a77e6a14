import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { DownloadError } from './errors.ts';
import { md5File } from './md5.ts';
import { createProgress, type ProgressMode, type ProgressReporter } from './progress.ts';
import { guardTempFile, removeStaleParts, tempPathFor } from './temp-file.ts';

export interface RemoteFile {
  url: string;
  fileName: string;
  md5?: string;
  size?: number;
}

export interface DownloadOptions {
  progress?: ProgressMode;
  fetchImpl?: typeof fetch;
  /** Appended to the "what to do" part of an error, e.g. "or set TRANSFERLAB_DATA_DIR to a folder that has it". */
  hint?: string;
  /** Download even when a verified file is already at the destination. */
  force?: boolean;
  /** Abort when no byte arrives for this long (default 60 s). */
  stallTimeoutMs?: number;
  signal?: AbortSignal;
  /** Where progress goes (default stderr). */
  progressStream?: NodeJS.WritableStream & { isTTY?: boolean };
}

function describeFetchFailure(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError') return `aborted (${e.message})`;
  const cause = e?.cause;
  if (cause?.code) return `network unreachable (${cause.code}${cause.message ? `: ${cause.message}` : ''})`;
  return `network unreachable (${cause?.message ?? e?.message ?? String(err)})`;
}

function describeStreamFailure(err: unknown, signal: AbortSignal): string {
  if (signal.aborted) return String((signal.reason as Error)?.message ?? signal.reason);
  const e = err as Error & { cause?: { code?: string; message?: string } };
  const detail = e?.cause?.message ?? e?.cause?.code;
  return `${e?.message ?? String(err)}${detail ? ` (${detail})` : ''}`;
}

async function alreadyThere(path: string, file: RemoteFile): Promise<boolean> {
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) return false;
  if (file.size !== undefined && info.size !== file.size) return false;
  if (file.md5 !== undefined && (await md5File(path)) !== file.md5.toLowerCase()) return false;
  return true;
}

type Fail = (reason: string) => DownloadError;

/** Aborts the transfer when no byte arrives for `ms`; re-armed on every chunk. */
function stallWatch(abort: AbortController, ms: number): { arm(): void; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  return {
    arm: () => {
      clearTimeout(timer);
      timer = setTimeout(() => abort.abort(new Error(`no data for ${ms / 1000} s`)), ms);
    },
    stop: () => clearTimeout(timer),
  };
}

/** The response body and its announced length, after checking status and announced size. */
async function fetchBody(
  file: RemoteFile,
  abort: AbortController,
  fetchImpl: typeof fetch,
  fail: Fail,
): Promise<{ body: ReadableStream<Uint8Array>; length: number | undefined }> {
  let response: Response;
  try {
    // identity: a transparently gunzipped body would not match the archive's size and md5
    response = await fetchImpl(file.url, {
      signal: abort.signal,
      redirect: 'follow',
      headers: { 'accept-encoding': 'identity' },
    });
  } catch (err) {
    throw fail(abort.signal.aborted ? describeStreamFailure(err, abort.signal) : describeFetchFailure(err));
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel().catch(() => {});
    throw fail(`HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
  }
  const announced = Number(response.headers.get('content-length') ?? NaN);
  const length = Number.isFinite(announced) && announced >= 0 ? announced : undefined;
  if (file.size !== undefined && length !== undefined && length !== file.size) {
    await response.body.cancel().catch(() => {});
    throw fail(`server announces ${length} bytes, expected ${file.size}`);
  }
  return { body: response.body, length };
}

/** Writes `body` to a new file at `tmp`, hashing as it goes; returns the byte count and md5. */
async function streamToFile(
  body: ReadableStream<Uint8Array>,
  tmp: string,
  abort: AbortController,
  onChunk: (bytes: number) => void,
  fail: Fail,
): Promise<{ bytes: number; digest: string }> {
  const hash = createHash('md5');
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      onChunk(bytes);
      done(null, chunk);
    },
  });
  try {
    await pipeline(
      Readable.fromWeb(body as unknown as WebReadableStream<Uint8Array>, { signal: abort.signal }),
      meter,
      createWriteStream(tmp, { flags: 'wx' }),
    );
  } catch (err) {
    throw fail(`transfer interrupted after ${bytes} bytes: ${describeStreamFailure(err, abort.signal)}`);
  }
  return { bytes, digest: hash.digest('hex') };
}

/**
 * Streams `file.url` into a temp file in `destDir`, hashing as it goes, and renames it to
 * `destDir/file.fileName` only once size and md5 match. Any failure removes the temp file and throws
 * a one-line DownloadError. A verified file already at the destination is returned as is.
 */
export async function download(file: RemoteFile, destDir: string, opts: DownloadOptions = {}): Promise<string> {
  const dir = resolve(destDir);
  const finalPath = join(dir, file.fileName);
  const md5 = file.md5 ? ` (md5 ${file.md5})` : '';
  const todo = `download it by hand to ${finalPath}${md5}${opts.hint ? ` ${opts.hint}` : ''}`;
  const fail = (reason: string): DownloadError =>
    new DownloadError(`cannot download ${file.url} to ${finalPath}: ${reason}; ${todo}`, file.url, finalPath, reason);

  if (!file.fileName || basename(file.fileName) !== file.fileName || file.fileName === '..' || file.fileName === '.') {
    throw fail(`"${file.fileName}" is not a plain file name`);
  }
  if (!opts.force && (await alreadyThere(finalPath, file))) return finalPath;

  try {
    await mkdir(dir, { recursive: true });
    await removeStaleParts(dir, file.fileName);
  } catch (err) {
    throw fail(`cannot write to ${dir} (${(err as Error).message})`);
  }
  return transfer(file, dir, finalPath, opts, fail);
}

async function transfer(
  file: RemoteFile,
  dir: string,
  finalPath: string,
  opts: DownloadOptions,
  fail: Fail,
): Promise<string> {
  const tmp = tempPathFor(dir, file.fileName);
  const unguard = guardTempFile(tmp);
  const abort = new AbortController();
  const onOuterAbort = (): void => abort.abort(new Error('download interrupted'));
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (opts.signal?.aborted) onOuterAbort();
  const stall = stallWatch(abort, opts.stallTimeoutMs ?? 60_000);
  let progress: ProgressReporter | undefined;
  try {
    stall.arm();
    const { body, length } = await fetchBody(file, abort, opts.fetchImpl ?? fetch, fail);
    const bar = createProgress(
      opts.progress ?? 'auto',
      `downloading ${file.fileName}`,
      file.size ?? length,
      opts.progressStream,
    );
    progress = bar;
    const onChunk = (bytes: number): void => {
      bar.update(bytes);
      stall.arm();
    };
    const { bytes, digest } = await streamToFile(body, tmp, abort, onChunk, fail);
    stall.stop();
    const expected = file.size ?? length;
    if (expected !== undefined && bytes !== expected)
      throw fail(`truncated transfer: got ${bytes} of ${expected} bytes`);
    if (file.md5 !== undefined && digest !== file.md5.toLowerCase()) {
      throw fail(`md5 mismatch (got ${digest}, expected ${file.md5.toLowerCase()})`);
    }
    const handle = await open(tmp, 'r+');
    await handle.sync().finally(() => handle.close());
    await rename(tmp, finalPath);
    bar.finish(true);
    return finalPath;
  } catch (err) {
    progress?.finish(false);
    await rm(tmp, { force: true });
    if (err instanceof DownloadError) throw err;
    throw fail((err as Error).message);
  } finally {
    stall.stop();
    opts.signal?.removeEventListener('abort', onOuterAbort);
    unguard();
  }
}
