// What a resume does to a run's event files before it writes again (docs/tensorboard.md, "A run as
// a running TensorBoard sees it"): the stopped process's files are cut back to the checkpoint, so
// no step is in a series twice, and each directory gets a new file that sorts last, starting with
// a SessionLog START at the step where training continues.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TRAIN_SUBRUN, VALIDATION_SUBRUN } from '../../run/layout.ts';
import { RunReader, SummaryWriter, truncateEventFilesAfter } from '../../tensorboard/index.ts';
import type { TrainState } from '../checkpoint.ts';

export interface RunWriters {
  root: SummaryWriter;
  train: SummaryWriter;
  validation: SummaryWriter;
}

/** Written once, at step 0, and kept by every cut: the session start, the definition, the model graph. */
const ONCE_TAGS = new Set(['_hparams_/session_start_info', 'definition', 'keras']);

/** Series whose step is the optimizer iteration; every other series of the run counts epochs. */
const isGlobalStepTag = (tag: string) => tag.startsWith('batch_') || tag.endsWith('_vs_iterations');

/**
 * Cuts every event file of the run back to the checkpoint (`null`: none saved, so back to the
 * start): global-step series after its step, epoch series (epoch_*, weight histograms, test/*)
 * after the last epoch it holds. Nothing writes to these files any more (their process stopped).
 * Also removes the separate session-end files earlier versions wrote beside the root file.
 */
export async function cutEventFilesToCheckpoint(runDir: string, state: TrainState | null): Promise<void> {
  const step = state?.globalStep ?? 0;
  const lastEpoch = (state?.history.length ?? 0) - 1;
  const limit = (tag: string) => (ONCE_TAGS.has(tag) ? Infinity : isGlobalStepTag(tag) ? step : lastEpoch);
  for (const name of await readdir(runDir)) {
    if (name.includes('tfevents') && name.endsWith('.session_end.v2')) await rm(join(runDir, name), { force: true });
  }
  for (const dir of [runDir, join(runDir, TRAIN_SUBRUN), join(runDir, VALIDATION_SUBRUN)]) {
    await truncateEventFilesAfter(dir, limit).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }
}

/** A fresh file per directory, each sorting after every file already there. */
export async function openRunWriters(runDir: string): Promise<RunWriters> {
  return {
    root: await SummaryWriter.create(runDir),
    train: await SummaryWriter.create(join(runDir, TRAIN_SUBRUN)),
    validation: await SummaryWriter.create(join(runDir, VALIDATION_SUBRUN)),
  };
}

/** In each new file, first: TensorBoard's Python loader drops what it holds at or past `step`. */
export function restartAt(writers: RunWriters, step: number): void {
  for (const w of [writers.root, writers.train, writers.validation]) w.sessionLogStart(step);
}

/** Whether the run's root event files already hold its HParams session start (a stop may come before it). */
export async function hasSessionStart(runDir: string): Promise<boolean> {
  const reader = new RunReader(runDir);
  await reader.update();
  return reader.hparams().sessionStart !== undefined;
}

export function flushAll(w: RunWriters): Promise<unknown> {
  return Promise.all([w.root.flush(), w.train.flush(), w.validation.flush()]);
}

export function closeAll(w: RunWriters): Promise<unknown> {
  return Promise.all([w.root.close(), w.train.close(), w.validation.close()]);
}
