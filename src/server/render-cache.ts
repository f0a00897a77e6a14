import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';

const gzip = promisify(gzipCb);

/** A response body rendered once for one set of inputs, with its ETag and (when worth it) a gzip copy. */
export interface Rendered {
  body: Buffer;
  gzipped: Buffer | null;
  etag: string;
  type: string;
  status: number;
}

/** Bodies smaller than this are sent as they are: compressing them saves less than it costs. */
const GZIP_MIN_BYTES = 1024;

async function finish(body: string, type: string, status: number): Promise<Rendered> {
  const buf = Buffer.from(body, 'utf8');
  const etag = `"${createHash('sha1').update(buf).digest('base64url')}"`;
  // zlib runs on libuv's thread pool, so compressing a large page does not hold up other requests.
  const gzipped = buf.length >= GZIP_MIN_BYTES ? await gzip(buf, { level: 6 }) : null;
  return { body: buf, gzipped, etag, type, status };
}

/**
 * Rendered pages and API bodies keyed by everything they read (route, options, the store's versions
 * of the runs involved): a key is rendered once, concurrent requests for a key being rendered share
 * that render, and the least recently used bodies go first once they hold more than `maxBytes`.
 */
export class RenderCache {
  private readonly done = new Map<string, Rendered>();
  private readonly inflight = new Map<string, Promise<Rendered>>();
  private bytes = 0;
  /** How many renders ran (what the coalescing test counts). */
  renders = 0;

  constructor(private readonly maxBytes = 64 * 1024 * 1024) {}

  get(key: string, render: () => Promise<{ body: string; type: string; status?: number }>): Promise<Rendered> {
    const hit = this.done.get(key);
    if (hit) {
      this.done.delete(key);
      this.done.set(key, hit);
      return Promise.resolve(hit);
    }
    const pending = this.inflight.get(key);
    if (pending) return pending;
    this.renders += 1;
    const made = render()
      .then((r) => finish(r.body, r.type, r.status ?? 200))
      .then((r) => {
        this.store(key, r);
        return r;
      })
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, made);
    return made;
  }

  private store(key: string, r: Rendered): void {
    const size = r.body.length + (r.gzipped?.length ?? 0);
    if (size > this.maxBytes / 4) return;
    this.done.set(key, r);
    this.bytes += size;
    while (this.bytes > this.maxBytes) {
      const [oldKey, old] = this.done.entries().next().value!;
      this.done.delete(oldKey);
      this.bytes -= old.body.length + (old.gzipped?.length ?? 0);
    }
  }
}
