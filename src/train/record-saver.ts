// run.json over a run's life: the first record, the resumed one, serialized saves with a throttled
// progress heartbeat, and the last-gasp write on a second Ctrl-C. The record itself is changed only
// by run-experiment.ts; these functions build or write it.
import { renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { BackendChoice } from '../backends/index.ts';
import type { ExperimentDefinition } from '../experiment/definition.ts';
import { RUN_RECORD_FILE } from '../run/layout.ts';
import { writeRunRecord, type RunProgress, type RunRecord } from '../run/record.ts';
import type { TrainState } from './checkpoint.ts';
import { gitState, hardwareInfo } from './environment.ts';

export function newRecord(
  id: string,
  experiment: string,
  name: string | null,
  def: ExperimentDefinition,
  command: string[],
  backend: RunRecord['backend'],
): RunRecord {
  return {
    schemaVersion: 1,
    id,
    experiment,
    name,
    status: 'running',
    error: null,
    definition: def,
    seed: def.seed,
    tags: def.tags,
    notes: def.notes,
    git: gitState(),
    command,
    backend,
    hardware: hardwareInfo(backend?.kind === 'gpu' ? backend.reason : null),
    params: null,
    macsPerImage: null,
    baseMacsPerImage: null,
    startTime: new Date().toISOString(),
    endTime: null,
    phases: { data: 0, model: 0, features: 0, train: 0, evaluate: 0 },
    epochs: { planned: def.train.epochs, completed: 0 },
    globalStep: 0,
    best: null,
    final: null,
    perClassAccuracy: null,
    imagesPerSecond: null,
    compute: { trainImages: 0, flops: 0, seconds: 0 },
    featureCache: null,
    resumedFrom: null,
    dataset: null,
    history: [],
    progress: null,
    ...thisProcess(),
  };
}

/** Who trains the run now: a monitor on this host can tell whether the process still exists. */
function thisProcess(): Pick<RunRecord, 'pid' | 'hostname'> {
  return { pid: process.pid, hostname: hostname() };
}

/** The record of a run being resumed: running again, on this process's backend. */
export function resumedRecord(previous: RunRecord, backend: RunRecord['backend']): RunRecord {
  // Earlier versions named a separate session-end file here; the resume removes such files.
  const { hparamsSessionEndFile: _legacy, ...kept } = previous as RunRecord & { hparamsSessionEndFile?: unknown };
  return {
    ...kept,
    status: 'running',
    error: null,
    endTime: null,
    backend,
    progress: null,
    ...thisProcess(),
  };
}

export function backendEntry(b: Pick<BackendChoice, 'name' | 'kind' | 'reason' | 'versions'>): RunRecord['backend'] {
  return { name: b.name, kind: b.kind, reason: b.reason, versions: { ...b.versions } };
}

/** The record's view of the training state: steps, history, best epoch, throughput. */
export function trainStateFields(state: TrainState, plannedEpochs: number) {
  return {
    globalStep: state.globalStep,
    history: state.history,
    best: state.best,
    epochs: { planned: plannedEpochs, completed: state.history.length },
    imagesPerSecond: median(state.history.map((h) => h.imagesPerSecond)),
  } satisfies Partial<RunRecord>;
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Monitors mark a running run whose files stay untouched for long as stale; this keeps it fresh. */
const HEARTBEAT_MS = 10_000;

/**
 * Writes run.json (atomically, one write at a time in call order, so a slow older write never lands
 * over a newer one) and keeps a heartbeat during long phases that write no events: the progress of
 * the phase is written into the last saved record.
 */
export class RecordSaver {
  private chain: Promise<void> = Promise.resolve();
  private lastSave = -Infinity;
  private last: RunRecord | null = null;
  private current: RunProgress | null = null;

  constructor(
    private readonly runDir: string,
    private readonly opts: { heartbeatMs?: number; now?: () => number; onError?: (e: Error) => void } = {},
  ) {}

  /** Saves a snapshot of `record`, with the progress of the phase in progress (if any). */
  save(record: RunRecord): Promise<void> {
    this.lastSave = this.now();
    const snapshot = structuredClone({ ...record, progress: this.current });
    this.last = snapshot;
    const write = this.chain.then(() => writeRunRecord(this.runDir, snapshot));
    this.chain = write.catch(() => {});
    return write;
  }

  /** Where a long phase stands (null: it is over); saved when the last save is older than the heartbeat. */
  heartbeat(progress: RunProgress | null): void {
    this.current = progress;
    if (progress === null || this.last === null) return;
    if (this.now() - this.lastSave < (this.opts.heartbeatMs ?? HEARTBEAT_MS)) return;
    this.save(this.last).catch((e: Error) => (this.opts.onError ?? (() => {}))(e));
  }

  /** Resolves once every save asked for so far is on disk (or failed). */
  settled(): Promise<void> {
    return this.chain;
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }
}

/** Second Ctrl-C: no time for async work; mark the run interrupted synchronously before exiting. */
export function forceMarkInterrupted(runDir: string, record: RunRecord): void {
  const path = join(runDir, RUN_RECORD_FILE);
  const temp = `${path}.${process.pid}.force.tmp`;
  const final = { ...record, status: 'interrupted', endTime: new Date().toISOString(), error: null, progress: null };
  writeFileSync(temp, `${JSON.stringify(final, null, 2)}\n`);
  renameSync(temp, path);
}
