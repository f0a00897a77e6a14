// Resume after a kill: cut an interrupted writer's event files back to the checkpoint, so no step
// is in a series twice once the resumed run writes it again. Safe for files written by one writer
// in time order (the only kind this project writes): the first record past the checkpoint ends
// the part worth keeping, and a torn or damaged tail (a kill mid-write) goes with it.
import { open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { scanRecords } from '../format/record.ts';
import { EventMessage, toNumber } from '../format/protos.ts';
import type { DecodedEvent } from '../format/decoded.ts';
import { isEventFileName } from '../format/file-name.ts';

/** The last step to keep: one for all tags, or per tag (epoch_* count epochs, batch_* steps). */
export type StepLimit = number | ((tag: string) => number);

export interface TruncatedFile {
  file: string;
  /** Bytes kept: the file's new length. */
  keptBytes: number;
  cutBytes: number;
  /** Whole records cut (a torn tail is not a record). */
  cutRecords: number;
  /** First step cut, when the cut began at a record past the checkpoint. */
  firstCutStep?: number;
}

/** Byte offset of the first record past `limit` (or of a torn/damaged tail), and what follows. */
function cutPoint(bytes: Buffer, limit: StepLimit): { at: number; records: number; firstCutStep?: number } {
  const starts: number[] = [];
  let cut: { at: number; firstCutStep: number } | undefined;
  const result = scanRecords(bytes, (start, end) => {
    starts.push(start - 12);
    if (cut) return;
    let ev: DecodedEvent;
    try {
      ev = EventMessage.toObject(EventMessage.decode(bytes.subarray(start, end)), { longs: Number }) as DecodedEvent;
    } catch {
      return; // intact framing around an event that does not parse: not a step, keep it
    }
    const step = toNumber(ev.step ?? 0);
    const limitOf = (tag: string) => (typeof limit === 'number' ? limit : limit(tag));
    const past = (ev.summary?.value ?? []).some((v) => step > limitOf(v.tag ?? ''));
    if (past) cut = { at: start - 12, firstCutStep: step };
  });
  if (cut) return { at: cut.at, records: starts.filter((s) => s >= cut!.at).length, firstCutStep: cut.firstCutStep };
  return { at: result.consumed, records: 0 };
}

/**
 * Cuts every event file directly in `dir` after the last record at or before the checkpoint:
 * at the first record holding a summary value whose step exceeds `limit` for its tag (records
 * without values, like file_version and SessionLog, never start a cut), or at a torn or damaged
 * tail. Call it only when no writer has the files open. Returns the files that were shortened.
 */
export async function truncateEventFilesAfter(dir: string, limit: StepLimit): Promise<TruncatedFile[]> {
  const out: TruncatedFile[] = [];
  for (const name of (await readdir(dir)).filter(isEventFileName).sort()) {
    const file = join(dir, name);
    const bytes = await readFile(file);
    const { at, records, firstCutStep } = cutPoint(bytes, limit);
    if (at === bytes.length) continue;
    const fh = await open(file, 'r+');
    try {
      await fh.truncate(at);
      await fh.sync();
    } finally {
      await fh.close();
    }
    const cut: TruncatedFile = { file, keptBytes: at, cutBytes: bytes.length - at, cutRecords: records };
    if (firstCutStep !== undefined) cut.firstCutStep = firstCutStep;
    out.push(cut);
  }
  return out;
}
