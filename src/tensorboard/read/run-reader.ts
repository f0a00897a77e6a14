// src/tensorboard/read/: scanning, decoding and discovering event files; imports format/ only.
// Reads one run directory (a directory holding event files) incrementally: every update() reads
// only bytes not yet consumed, in file-name order, and picks up new files. A partial last record is
// left for the next update. After a damaged record it resynchronises on the next intact record and
// reports the damage (file, offset, bytes skipped); nothing throws on bad data.
import { readdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { scanRecordsInPlace, findResyncPoint } from './scan-records.ts';
import { isEventFileName } from '../format/file-name.ts';
import {
  RunData,
  type ScalarPoint,
  type HistogramPoint,
  type ImagePoint,
  type TextPoint,
  type SeriesKind,
} from './run-data.ts';
import { EventDecoder } from './event-decoder.ts';
import type { HParamsData } from '../format/hparams-plugin.ts';

interface RunReaderOptions {
  onWarning?: (message: string) => void;
  /** Bytes read per piece (default 4 MiB); a record larger than a piece is still read whole. */
  readChunkBytes?: number;
}

/** Files are read in pieces of this size, so the read of one overlaps decoding the previous. */
const READ_CHUNK_BYTES = 4 * 1024 * 1024;
/** Room in front of each piece for a record cut by the previous piece's end. */
const SLACK = 256 * 1024;

async function readFully(fh: FileHandle, buf: Buffer, at: number, length: number, position: number): Promise<number> {
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, at + got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

/** A damaged stretch of an event file that the reader skipped. */
export interface EventFileDamage {
  file: string;
  /** Byte offset of the first damaged record. */
  offset: number;
  /** Bytes skipped from `offset` to the next intact record (so far, while `resumedAt` is unset). */
  skippedBytes: number;
  reason: string;
  /** Where reading resumed; undefined while no intact record has followed yet. */
  resumedAt?: number;
}

interface FileState {
  offset: number;
  dead: boolean;
  /** The damage being skipped over, until an intact record follows it. */
  damage?: EventFileDamage;
}

function damageMessage(d: EventFileDamage): string {
  const where = `${d.file}: ${d.reason} in the record at byte ${d.offset}`;
  return d.resumedAt === undefined
    ? `${where}; no intact record after it yet (${d.skippedBytes} bytes skipped)`
    : `${where}; skipped ${d.skippedBytes} bytes to the next intact record at byte ${d.resumedAt}`;
}

export class RunReader {
  readonly warnings: string[] = [];
  /** Every damaged stretch met so far, in reading order (each also has one line in `warnings`). */
  readonly damage: EventFileDamage[] = [];
  private readonly unannounced: EventFileDamage[] = [];
  private readonly data = new RunData();
  private readonly decoder = new EventDecoder(this.data);
  private readonly files = new Map<string, FileState>();
  private running: Promise<boolean> = Promise.resolve(false);
  private missingWarned = false;

  constructor(
    readonly runDir: string,
    private readonly opts: RunReaderOptions = {},
  ) {}

  /** Reads what is new; resolves true when any record was added. Calls are serialized. */
  update(): Promise<boolean> {
    const next = this.running.then(() => this.readNew());
    this.running = next.catch(() => false);
    return next;
  }

  /** Event file names in read order. */
  fileNames(): string[] {
    return [...this.files.keys()];
  }

  /** Bytes consumed per file (whole records only). */
  offsets(): Record<string, number> {
    return Object.fromEntries([...this.files].map(([k, v]) => [k, v.offset]));
  }

  tags(kind?: SeriesKind): string[] {
    const out: string[] = [];
    for (const s of this.data.series.values()) if (s.count > 0 && (!kind || s.kind === kind)) out.push(s.tag);
    return out.sort();
  }

  /** Plugin name that owns a tag (TensorBoard: decided by the tag's first metadata). */
  plugin(tag: string): string | undefined {
    return this.data.series.get(tag)?.plugin;
  }

  scalars(tag: string): ScalarPoint[] {
    return this.data.series.get(tag)?.scalars.points() ?? [];
  }

  /** Columnar view of a scalar series (no per-point objects): for large series. */
  scalarColumns(tag: string): { steps: Float64Array; wallTimes: Float64Array; values: Float64Array } {
    const c = this.data.series.get(tag)?.scalars;
    if (!c) return { steps: new Float64Array(0), wallTimes: new Float64Array(0), values: new Float64Array(0) };
    return {
      steps: c.steps.subarray(0, c.length),
      wallTimes: c.wallTimes.subarray(0, c.length),
      values: c.values.subarray(0, c.length),
    };
  }

  histograms(tag: string): HistogramPoint[] {
    return this.data.series.get(tag)?.histograms ?? [];
  }

  images(tag: string): ImagePoint[] {
    return this.data.series.get(tag)?.images ?? [];
  }

  texts(tag: string): TextPoint[] {
    return this.data.series.get(tag)?.texts ?? [];
  }

  hparams(): HParamsData {
    return this.data.hparams;
  }

  /** Number of events decoded so far (file_version records included). */
  get eventCount(): number {
    return this.data.events;
  }

  private warn(message: string): void {
    this.warnings.push(message);
    this.opts.onWarning?.(message);
  }

  private async listEventFiles(): Promise<string[] | undefined> {
    try {
      const entries = await readdir(this.runDir, { withFileTypes: true });
      return entries
        .filter((e) => (e.isFile() || e.isSymbolicLink()) && isEventFileName(e.name))
        .map((e) => e.name)
        .sort();
    } catch (err) {
      if (!this.missingWarned) {
        this.missingWarned = true;
        this.warn(`${this.runDir}: cannot list run directory: ${(err as Error).message}`);
      }
      return undefined;
    }
  }

  private async readNew(): Promise<boolean> {
    const names = await this.listEventFiles();
    if (!names) return false;
    const before = this.data.events;
    for (const known of this.files.keys()) if (!names.includes(known)) this.files.delete(known);
    for (const name of names) {
      let state = this.files.get(name);
      if (!state) {
        state = { offset: 0, dead: false };
        this.files.set(name, state);
      }
      if (!state.dead) await this.readFile(name, state);
      // One warning per damage, once the first read past it knows how far it reaches.
      for (const d of this.unannounced.splice(0)) this.warn(damageMessage(d));
    }
    return this.data.events > before;
  }

  private async readFile(name: string, state: FileState): Promise<void> {
    const path = join(this.runDir, name);
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (err) {
      // Removed between listing and opening (e.g. a replaced hparams experiment file).
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') this.files.delete(name);
      else this.warn(`${path}: cannot open: ${(err as Error).message}`);
      return;
    }
    try {
      const { size } = await fh.stat();
      if (size < state.offset) {
        state.dead = true;
        this.warn(`${path}: file shrank from ${state.offset} to ${size} bytes; no longer reading it`);
        return;
      }
      if (size > state.offset) await this.readRange(fh, path, state, size);
    } catch (err) {
      this.warn(`${path}: read failed: ${(err as Error).message}`);
    } finally {
      await fh.close();
    }
  }

  /**
   * Reads [state.offset, size) in pieces through two reused buffers: the next piece is read while
   * the current one is decoded. Each buffer keeps SLACK bytes in front of its piece, where the
   * unconsumed tail of the previous piece (a record cut by the piece boundary) is copied.
   */
  private async readRange(fh: FileHandle, path: string, state: FileState, size: number): Promise<void> {
    let chunk = Math.max(1, this.opts.readChunkBytes ?? READ_CHUNK_BYTES);
    const firstLen = Math.min(chunk, size - state.offset);
    // Room for a carried-over tail is only needed when there is more than one piece.
    const slack = firstLen < size - state.offset ? SLACK : 0;
    let cur: Buffer = Buffer.allocUnsafe(slack + firstLen);
    let spare: Buffer | undefined;
    let curStart = slack;
    let curEnd = slack + (await readFully(fh, cur, slack, firstLen, state.offset));
    let nextPos = state.offset + (curEnd - slack);
    while (true) {
      const nextLen = Math.min(chunk, size - nextPos);
      let pending: Promise<number> | undefined;
      if (nextLen > 0) {
        if (!spare || spare.length < slack + nextLen) spare = Buffer.allocUnsafe(slack + Math.max(nextLen, firstLen));
        pending = readFully(fh, spare, slack, nextLen, nextPos);
      }
      const piece = cur.subarray(curStart, curEnd);
      const consumed = this.consume(path, state, piece);
      if (!pending || state.dead) {
        await pending;
        return;
      }
      const got = await pending;
      if (got === 0) return;
      const next = spare!;
      const leftover = piece.length - consumed;
      // A record longer than the pieces: grow them so it is complete in a few reads, not thousands.
      if (leftover * 2 > chunk) chunk = leftover * 2;
      let nextStart = slack;
      let nextBuf = next;
      if (leftover > slack) {
        // A record bigger than the slack: join it with the next piece in a fresh buffer.
        nextBuf = Buffer.concat([piece.subarray(consumed), next.subarray(slack, slack + got)]);
        nextStart = 0;
      } else if (leftover > 0) {
        piece.copy(next, slack - leftover, consumed);
        nextStart = slack - leftover;
      }
      nextPos += got;
      spare = nextBuf === next ? cur : next;
      cur = nextBuf;
      curStart = nextStart;
      curEnd = nextBuf === next ? slack + got : nextBuf.length;
      if (got < nextLen) {
        // The file is shorter than stat said (truncated under us): read what we have, then stop.
        this.consume(path, state, cur.subarray(curStart, curEnd));
        return;
      }
    }
  }

  /**
   * Decodes the whole records in `buf` (which starts at state.offset), resynchronising after
   * damage; returns the bytes consumed (records read and damaged bytes skipped).
   */
  private consume(path: string, state: FileState, buf: Buffer): number {
    const base = state.offset;
    let pos = 0;
    while (true) {
      const view = pos === 0 ? buf : buf.subarray(pos);
      const at = base + pos;
      const result = scanRecordsInPlace(view, (start, end) => this.decodeRecord(path, view, start, end, at));
      if (result.consumed > 0 && state.damage) this.endDamage(state, at);
      pos += result.consumed;
      if (result.stop.kind !== 'corrupt') break;
      const damage = state.damage ?? this.startDamage(state, path, base + pos, result.stop.reason);
      const next = findResyncPoint(buf, pos + 1);
      pos = next.at;
      damage.skippedBytes = base + pos - damage.offset;
      if (next.kind === 'record') this.endDamage(state, base + pos);
      else break; // wait for more bytes: the candidate or the next header is not complete yet
    }
    state.offset += pos;
    return pos;
  }

  private decodeRecord(path: string, buf: Buffer, start: number, end: number, bufAt: number): void {
    try {
      this.decoder.decode(buf, start, end);
    } catch (err) {
      // The framing and CRC were fine, so the next record boundary is trustworthy: skip this one.
      this.warn(`${path}: undecodable event at byte ${bufAt + start - 12}: ${(err as Error).message}; skipped`);
    }
  }

  private startDamage(state: FileState, file: string, offset: number, reason: string): EventFileDamage {
    const damage: EventFileDamage = { file, offset, skippedBytes: 0, reason };
    state.damage = damage;
    this.damage.push(damage);
    this.unannounced.push(damage);
    return damage;
  }

  private endDamage(state: FileState, resumedAt: number): void {
    const d = state.damage!;
    d.resumedAt = resumedAt;
    d.skippedBytes = resumedAt - d.offset;
    state.damage = undefined;
  }
}
