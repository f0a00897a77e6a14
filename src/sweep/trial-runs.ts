// Where a trial's run is: the logdir is the record of what has run (the queue is only the work
// list), so every executor asks it before starting a trial.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUN_RECORD_FILE } from '../run/layout.ts';
import { parseRunRecord, type RunRecord } from '../run/record.ts';
import { sweepTag, trialOfTags } from '../run/sweep-tags.ts';

/** The run folder's suffix: the sweep and the trial, so `ls` shows which trial a run is. */
export const trialRunName = (sweep: string, trialId: string): string => `${sweep}-${trialId}`;

export interface TrialRun {
  runDir: string;
  /** The run id (`<experiment>/<folder>`), as `--resume` takes it. */
  runId: string;
  status: RunRecord['status'];
  /** null until the run's first step (a run still loading its data). */
  startTime: string | null;
  globalStep: number;
  epochs: RunRecord['epochs'];
}

/** What to do with a trial, given its runs: skip it, continue its latest unfinished run, or start it. */
export type TrialState = { kind: 'done'; run: TrialRun } | { kind: 'resume'; run: TrialRun } | { kind: 'new' };

/** The sweep's runs of one experiment, by trial id (a trial can have several runs after a race or by hand). */
export function findTrialRuns(logdir: string, experiment: string, sweep: string): Map<string, TrialRun[]> {
  const dir = join(logdir, experiment);
  const byTrial = new Map<string, TrialRun[]>();
  if (!existsSync(dir)) return byTrial;
  for (const folder of readdirSync(dir)) {
    const record = readRecord(join(dir, folder));
    if (!record || !record.tags.includes(sweepTag(sweep))) continue;
    const id = trialOfTags(record.tags);
    if (id === null) continue;
    const run: TrialRun = {
      runDir: join(dir, folder),
      runId: record.id,
      status: record.status,
      startTime: record.startTime,
      globalStep: record.globalStep,
      epochs: record.epochs,
    };
    byTrial.set(id, [...(byTrial.get(id) ?? []), run]);
  }
  return byTrial;
}

export function trialState(runs: TrialRun[] | undefined): TrialState {
  if (!runs || runs.length === 0) return { kind: 'new' };
  const success = runs.find((r) => r.status === 'success');
  if (success) return { kind: 'done', run: success };
  const latest = [...runs].sort((a, b) => (b.startTime ?? '').localeCompare(a.startTime ?? ''))[0]!;
  return { kind: 'resume', run: latest };
}

/** The fields a sweep needs, read through the one run.json schema; null for anything that is not (yet) a run. */
function readRecord(
  runDir: string,
): Pick<RunRecord, 'id' | 'tags' | 'status' | 'startTime' | 'globalStep' | 'epochs'> | null {
  let text: string;
  try {
    text = readFileSync(join(runDir, RUN_RECORD_FILE), 'utf8');
  } catch {
    // Not a run (yet): a folder being created, or something else in the logdir.
    return null;
  }
  const { record } = parseRunRecord(text, join(runDir, RUN_RECORD_FILE));
  const { id, tags, status, startTime, globalStep, epochs } = record;
  if (id === undefined || tags === undefined || status === undefined || globalStep === undefined) return null;
  if (epochs?.completed === undefined) return null;
  return {
    id,
    tags,
    status,
    startTime: startTime ?? null,
    globalStep,
    epochs: { planned: epochs.planned ?? null, completed: epochs.completed },
  };
}
