// TensorBoard keeps the FIRST `_hparams_/session_end_info` it meets in a run, across all its event
// files. A run that is interrupted (or fails) and is later resumed must not leave that first status
// behind, so an unfinished run ends its HParams session in an event file of its own in the run root;
// `--resume` deletes that file, and only a success is written into the run's main root event file.
import { readdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { SummaryWriter } from '../../tensorboard/index.ts';

/** Name suffix of the session-end file (it still contains `tfevents`, so TensorBoard reads it). */
export const SESSION_END_FILE_SUFFIX = '.session_end.v2';

type UnfinishedStatus = 'aborted' | 'failure';

/**
 * The run's session-end event file, opened when the run starts so that a second Ctrl-C can end the
 * session synchronously (the event writers' exit hook writes the queued record whole). Exactly one of
 * `end`, `endSync` or `discard` is called.
 */
export class SessionEndFile {
  private constructor(private readonly writer: SummaryWriter) {}

  static async open(runDir: string): Promise<SessionEndFile> {
    return new SessionEndFile(await SummaryWriter.create(runDir, { suffix: SESSION_END_FILE_SUFFIX }));
  }

  /** The file's name inside the run directory (recorded in run.json). */
  get fileName(): string {
    return basename(this.writer.path);
  }

  /** Ends the session with an unfinished status and closes the file; returns its name. */
  async end(status: UnfinishedStatus, endTimeSecs = Date.now() / 1000): Promise<string> {
    this.writer.hparamsSessionEnd(status, endTimeSecs);
    await this.writer.close();
    return this.fileName;
  }

  /** For a process about to exit: queues the session end; the writers' exit hook writes it. */
  endSync(status: UnfinishedStatus, endTimeSecs = Date.now() / 1000): string {
    this.writer.hparamsSessionEnd(status, endTimeSecs);
    return this.fileName;
  }

  /** The run succeeded: its status is in the main root event file, so this one goes. */
  async discard(): Promise<void> {
    await this.writer.close();
    rmSync(this.writer.path, { force: true });
  }
}

/**
 * Before a resume: deletes the run's session-end files — the one run.json names and any other left by
 * a process killed before it could update run.json. Returns the names deleted.
 */
export function removeSessionEndFiles(runDir: string, recorded: string | null | undefined): string[] {
  const names = new Set(
    readdirSync(runDir).filter((f) => f.includes('tfevents') && f.endsWith(SESSION_END_FILE_SUFFIX)),
  );
  // run.json is untrusted input: only a plain file name in the run root is honoured.
  if (recorded && recorded === basename(recorded) && recorded.includes('tfevents')) names.add(recorded);
  for (const name of names) rmSync(join(runDir, name), { force: true });
  return [...names].sort();
}
