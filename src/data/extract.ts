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
  if (raw.includes('\0') || raw.startsWith('/') || /^[a-zA-Z]:/.test(raw) || raw.includes('\\'))
    return 'absolute or odd path';
  if (raw.split('/').includes('..')) return 'path traversal';
  const path = posix.normalize(raw).replace(/^\.\//, '').replace(/\/$/, '');
  if (path === CIFAR10_FOLDER || path === '.')
    return entry.type === 'Directory' ? null : `a ${entry.type} where a folder belongs`;
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

/** One extraction: the part files written so far and the first failure, which stops everything. */
class Extraction {
  readonly parts = new Map<string, string>();
  readonly writes: Promise<void>[] = [];
  private readonly outs = new Set<WriteStream>();
  failure: Error | undefined;
  private notifyFailure!: () => void;
  readonly failed = new Promise<void>((ok) => (this.notifyFailure = ok));

  constructor(
    private readonly archive: string,
    private readonly targetDir: string,
  ) {}

  fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const out of this.outs) out.destroy();
    this.notifyFailure();
  }

  /** Writes one wanted member to its part file; refuses, or skips, every other member. */
  entry(entry: ReadEntry): void {
    const why = this.failure ? null : refusal(entry);
    if (why) {
      const expected = `${CIFAR10_FOLDER}/{${CIFAR10_FILES.join(',')}}`;
      this.fail(new Error(`${this.archive}: refusing member "${entry.path}" (${why}); expected only ${expected}`));
    }
    const name = this.failure ? null : memberName(entry);
    if (!name) {
      entry.resume();
      return;
    }
    if (this.parts.has(name)) {
      this.fail(new Error(`${this.archive}: member ${entry.path} appears twice`));
      entry.resume();
      return;
    }
    const part = join(this.targetDir, `.${name}.${process.pid}.extract.part`);
    this.parts.set(name, part);
    const out = createWriteStream(part);
    this.outs.add(out);
    const written = new Promise<void>((ok, ko) => {
      out.on('close', () => {
        this.outs.delete(out);
        ok();
      });
      out.on('error', ko);
      entry.on('error', ko);
      entry.pipe(out);
    });
    const where = `${this.archive}: cannot extract ${entry.path} to ${part}`;
    this.writes.push(written.catch((err: Error) => this.fail(new Error(`${where} (${err.message})`))));
  }

  /** Removes every part file after a failure. */
  async discard(): Promise<void> {
    for (const out of this.outs) out.destroy();
    await Promise.allSettled(this.writes);
    await Promise.all([...this.parts.values()].map((p) => rm(p, { force: true })));
  }
}

/** Feeds the archive through the parser until it ends or the extraction fails. */
async function feed(archive: string, parser: Parser, x: Extraction): Promise<void> {
  const done = new Promise<void>((ok) => {
    parser.on('end', ok);
    parser.on('error', (err: Error) => {
      x.fail(new Error(`${archive}: not a complete tar.gz archive (${err.message})`));
      ok();
    });
  });
  for await (const chunk of createReadStream(archive)) {
    if (x.failure) break;
    if (!parser.write(chunk as Buffer))
      await Promise.race([new Promise((ok) => parser.once('drain', ok)), done, x.failed]);
  }
  if (!x.failure) {
    parser.end();
    await Promise.race([done, x.failed]);
  }
}

/**
 * Extracts the seven CIFAR-10 files from the (gzipped) official archive into `targetDir`. Refuses the whole
 * archive on any other member, path traversal, link or device; files appear only when all seven were
 * written, so a failure leaves no partial file.
 */
export async function extractCifar10Archive(archive: string, targetDir: string): Promise<string[]> {
  await mkdir(targetDir, { recursive: true });
  const x = new Extraction(archive, targetDir);
  const parser = new Parser({ strict: true });
  parser.on('entry', (entry: ReadEntry) => x.entry(entry));
  try {
    await feed(archive, parser, x);
    await Promise.all(x.writes);
    if (x.failure) throw x.failure;
    const missing = CIFAR10_FILES.filter((f) => !x.parts.has(f));
    if (missing.length > 0)
      throw new Error(`${archive}: archive lacks ${missing.map((f) => `${CIFAR10_FOLDER}/${f}`).join(', ')}`);
    for (const [name, part] of x.parts) await rename(part, join(targetDir, name));
    return CIFAR10_FILES.map((f) => join(targetDir, f));
  } catch (err) {
    await x.discard();
    throw x.failure ?? err;
  }
}
