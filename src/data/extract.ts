import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Parser, type ReadEntry } from 'tar';
import { CIFAR10_FILES, CIFAR10_FOLDER } from './cifar10-files.ts';

const TOLERATED = new Set(['readme.html']);
const REGULAR = new Set(['File', 'OldFile', 'ContiguousFile']);

/** Why a member may not be extracted, or null when it is one we take or skip. */
function refusal(entry: ReadEntry): string | null {
  const raw = entry.path;
  if (raw.includes('\0') || raw.startsWith('/') || /^[a-zA-Z]:/.test(raw) || raw.includes('\\')) return 'absolute or odd path';
  if (raw.split('/').includes('..')) return 'path traversal';
  const path = posix.normalize(raw).replace(/^\.\//, '').replace(/\/$/, '');
  if (path === CIFAR10_FOLDER || path === '.') return entry.type === 'Directory' ? null : `a ${entry.type} where a folder belongs`;
  const [folder, name, ...rest] = path.split('/');
  if (folder !== CIFAR10_FOLDER || !name || rest.length > 0 || !(CIFAR10_FILES.includes(name) || TOLERATED.has(name))) {
    return 'not one of the expected files';
  }
  if (!REGULAR.has(entry.type)) return `a ${entry.type}, not a regular file`;
  return null;
}

function memberName(entry: ReadEntry): string | null {
  const name = posix.basename(posix.normalize(entry.path));
  return CIFAR10_FILES.includes(name) && REGULAR.has(entry.type) ? name : null;
}

/**
 * Extracts the seven CIFAR-10 files from the (gzipped) official archive into `targetDir`. Refuses the whole
 * archive on any other member, path traversal, link or device; files appear only when all seven were
 * written, so a failure leaves no partial file.
 */
export async function extractCifar10Archive(archive: string, targetDir: string): Promise<string[]> {
  await mkdir(targetDir, { recursive: true });
  const parts = new Map<string, string>();
  const outs = new Set<WriteStream>();
  const writes: Promise<void>[] = [];
  const parser = new Parser({ strict: true });
  let failure: Error | undefined;
  let notifyFailure!: () => void;
  const failed = new Promise<void>((ok) => (notifyFailure = ok));
  const fail = (err: Error): void => {
    if (failure) return;
    failure = err;
    for (const out of outs) out.destroy();
    notifyFailure();
  };

  parser.on('entry', (entry: ReadEntry) => {
    const why = failure ? null : refusal(entry);
    if (why) fail(new Error(`${archive}: refusing member "${entry.path}" (${why}); expected only ${CIFAR10_FOLDER}/{${CIFAR10_FILES.join(',')}}`));
    const name = failure ? null : memberName(entry);
    if (!name) {
      entry.resume();
      return;
    }
    if (parts.has(name)) {
      fail(new Error(`${archive}: member ${entry.path} appears twice`));
      entry.resume();
      return;
    }
    const part = join(targetDir, `.${name}.${process.pid}.extract.part`);
    parts.set(name, part);
    const out = createWriteStream(part);
    outs.add(out);
    writes.push(
      new Promise<void>((ok, ko) => {
        out.on('close', () => {
          outs.delete(out);
          ok();
        });
        out.on('error', ko);
        entry.on('error', ko);
        entry.pipe(out);
      }).catch((err: Error) => fail(new Error(`${archive}: cannot extract ${entry.path} to ${part} (${err.message})`))),
    );
  });

  const done = new Promise<void>((ok) => {
    parser.on('end', ok);
    parser.on('error', (err: Error) => {
      fail(new Error(`${archive}: not a complete tar.gz archive (${err.message})`));
      ok();
    });
  });

  try {
    for await (const chunk of createReadStream(archive)) {
      if (failure) break;
      if (!parser.write(chunk as Buffer)) await Promise.race([new Promise((ok) => parser.once('drain', ok)), done, failed]);
    }
    if (!failure) {
      parser.end();
      await Promise.race([done, failed]);
    }
    await Promise.all(writes);
    if (failure) throw failure;
    const missing = CIFAR10_FILES.filter((f) => !parts.has(f));
    if (missing.length > 0) throw new Error(`${archive}: archive lacks ${missing.map((f) => `${CIFAR10_FOLDER}/${f}`).join(', ')}`);
    for (const [name, part] of parts) await rename(part, join(targetDir, name));
    return CIFAR10_FILES.map((f) => join(targetDir, f));
  } catch (err) {
    for (const out of outs) out.destroy();
    await Promise.allSettled(writes);
    await Promise.all([...parts.values()].map((p) => rm(p, { force: true })));
    throw failure ?? err;
  }
}
