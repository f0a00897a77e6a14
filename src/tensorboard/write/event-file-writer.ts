// Appends Event records to one event file: synchronous enqueue, periodic and on-demand flush,
// whole records per write, fsync on close. Chunks are written at fixed positions, one at a time,
// so an exit hook can write what is still queued without reordering or tearing records.
import { writeSync, fsyncSync, closeSync } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { EventMessage } from '../format/protos.ts';
import { RecordBuffer } from '../format/record.ts';
import { eventFileName } from '../format/file-name.ts';

export interface EventFileWriterOptions {
  /** Flush period; TensorBoard-style writers flush at least every 2 s. */
  flushMs?: number;
  /** Flush as soon as this many bytes are queued. */
  maxQueuedBytes?: number;
  /** Name suffix after `<pid>.<n>` (default `.v2`). */
  suffix?: string;
  /** Called once when a write fails (default: console.warn); flush() and close() then reject. */
  onError?: (err: Error) => void;
}

type EventObject = Record<string, unknown>;

const openWriters = new Set<EventFileWriter>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const w of openWriters) w.writeQueuedSync();
  });
}

export class EventFileWriter {
  readonly path: string;
  private readonly pending = new RecordBuffer();
  /** Chunks handed to the write chain but not yet known to be on disk. */
  private readonly inFlight: { pos: number; bytes: Buffer }[] = [];
  private nextPos = 0;
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private error: Error | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly maxQueued: number;
  private readonly flushMs: number;
  /** A flush is due at this time even if the timer has not fired (a busy loop delays timers). */
  private flushDue = 0;

  private constructor(
    path: string,
    private readonly fh: FileHandle,
    private readonly opts: EventFileWriterOptions,
  ) {
    this.path = path;
    this.maxQueued = opts.maxQueuedBytes ?? 4 * 1024 * 1024;
    this.flushMs = Math.min(opts.flushMs ?? 2000, 2000);
    this.timer = setInterval(() => void this.flush().catch(() => {}), this.flushMs);
    this.timer.unref();
    openWriters.add(this);
    installExitHook();
  }

  static async create(dir: string, opts: EventFileWriterOptions = {}): Promise<EventFileWriter> {
    await mkdir(dir, { recursive: true });
    const path = join(dir, eventFileName({ suffix: opts.suffix }));
    const fh = await open(path, 'wx');
    const w = new EventFileWriter(path, fh, opts);
    w.add({ wall_time: Math.floor(Date.now() / 1000), file_version: 'brain.Event:2' });
    await w.flush();
    return w;
  }

  /** Encodes and queues one Event (a plain object shaped like tensorboard.Event). */
  add(event: EventObject): void {
    if (this.closed) throw new Error(`event file ${this.path}: add() after close()`);
    this.addEncoded(EventMessage.encode(event).finish());
  }

  addEncoded(eventBytes: Uint8Array): void {
    if (this.closed) throw new Error(`event file ${this.path}: add() after close()`);
    this.pending.append(eventBytes);
    this.maybeFlush();
  }

  private maybeFlush(): void {
    if (this.pending.length >= this.maxQueued || Date.now() >= this.flushDue) void this.flush().catch(() => {});
  }

  /** Lets an encoder frame records straight into the queue (the scalar fast path). */
  addFramed(frame: (records: RecordBuffer) => void): void {
    if (this.closed) throw new Error(`event file ${this.path}: add() after close()`);
    frame(this.pending);
    this.maybeFlush();
  }

  /** Writes everything queued so far; resolves once it is handed to the OS. */
  flush(): Promise<void> {
    this.flushDue = Date.now() + this.flushMs;
    // After a failed write nothing more can be appended in order; drop what is queued.
    if (this.error) this.pending.take();
    if (this.pending.length > 0 && !this.error) {
      const chunk = { pos: this.nextPos, bytes: this.pending.take() };
      this.nextPos += chunk.bytes.length;
      this.inFlight.push(chunk);
      this.chain = this.chain.then(async () => {
        if (this.error) return;
        try {
          let done = 0;
          while (done < chunk.bytes.length) {
            const { bytesWritten } = await this.fh.write(
              chunk.bytes,
              done,
              chunk.bytes.length - done,
              chunk.pos + done,
            );
            done += bytesWritten;
          }
          this.inFlight.shift();
        } catch (err) {
          this.error = new Error(`event file ${this.path}: write failed: ${(err as Error).message}`);
          // A training loop should not die of a full disk; report once and let flush()/close() reject.
          (this.opts.onError ?? ((e: Error) => console.warn(e.message)))(this.error);
        }
      });
    }
    return this.chain.then(() => {
      if (this.error) throw this.error;
    });
  }

  /** Flushes, fsyncs and closes; later calls return the same promise. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      clearInterval(this.timer);
      try {
        await this.flush();
        await this.fh.sync();
      } finally {
        openWriters.delete(this);
        await this.fh.close();
      }
    })();
    return this.closing;
  }

  /** Exit hook: synchronously writes chunks in flight and queued, each at its own position. */
  writeQueuedSync(): void {
    try {
      const fd = this.fh.fd;
      const chunks = [...this.inFlight];
      if (this.pending.length > 0) chunks.push({ pos: this.nextPos, bytes: this.pending.take() });
      for (const c of chunks) {
        let done = 0;
        while (done < c.bytes.length) done += writeSync(fd, c.bytes, done, c.bytes.length - done, c.pos + done);
      }
      fsyncSync(fd);
      closeSync(fd);
    } catch {
      // The process is exiting; nothing useful can be done with the error here.
    }
  }
}
