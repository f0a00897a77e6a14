// run.json over a run's life: the first record, the resumed one, serialized saves with a throttled
// progress heartbeat, the state after each epoch, and the last-gasp update on a second Ctrl-C.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BackendChoice } from '../backends/index.ts';
import type { TrainState } from './checkpoint.ts';
import type { ExperimentDefinition } from '../experiment/definition.ts';
import { gitState, hardwareInfo } from './environment.ts';
import { writeRunRecord, type RunProgress, type RunRecord } from '../run/record.ts';

export function newRecord(id: string, experiment: string, name: string | null, def: ExperimentDefinition, command: string[], backend: RunRecord['backend']): RunRecord {
  return {
    schemaVersion: 1, id, experiment, name, status: 'running', error: null, definition: def, seed: def.seed,
    tags: def.tags, notes: def.notes, git: gitState(), command, backend,
    hardware: hardwareInfo(backend?.kind === 'gpu' ? backend.reason : null),
    params: null, macsPerImage: null, baseMacsPerImage: null, startTime: new Date().toISOString(), endTime: null,
    phases: { data: 0, model: 0, features: 0, train: 0, evaluate: 0 },
    epochs: { planned: def.train.epochs, completed: 0 }, globalStep: 0, best: null, final: null, perClassAccuracy: null,
    imagesPerSecond: null, compute: { trainImages: 0, flops: 0, seconds: 0 }, featureCache: null, resumedFrom: null,
    dataset: null, history: [], progress: null, hparamsSessionEndFile: null,
  };
}

/** The record of a run being resumed: running again, on this process's backend. */
export function resumedRecord(previous: RunRecord, backend: RunRecord['backend']): RunRecord {
  return { ...previous, status: 'running', error: null, endTime: null, backend, progress: null, hparamsSessionEndFile: null };
}

export function backendEntry(b: Pick<BackendChoice, 'name' | 'kind' | 'reason' | 'versions'>): RunRecord['backend'] {
  return { name: b.name, kind: b.kind, reason: b.reason, versions: { ...b.versions } };
}

/** Copies the training state into the record: steps, history, best epoch, throughput. */
export function applyTrainState(record: RunRecord, state: TrainState, plannedEpochs: number): void {
  record.globalStep = state.globalStep;
  record.history = state.history;
  record.best = state.best;
  record.epochs = { planned: plannedEpochs, completed: state.history.length };
  record.imagesPerSecond = median(state.history.map((h) => h.imagesPerSecond));
}

/** Runs `work` and adds its seconds to `phases[phase]` (also when it throws). */
export function phaseTimer(phases: RunRecord['phases']) {
  return async <T>(phase: keyof RunRecord['phases'], work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await work();
    } finally {
      phases[phase] += (performance.now() - t0) / 1000;
    }
  };
}

export function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Monitors mark a running run whose files stay untouched for long as stale; this keeps it fresh. */
export const HEARTBEAT_MS = 10_000;

/**
 * Writes run.json (atomically, one write at a time in call order, so a slow older write never lands
 * over a newer one) and keeps a heartbeat during long phases that write no events.
 */
export class RecordSaver {
  private chain: Promise<void> = Promise.resolve();
  private lastSave = -Infinity;

  constructor(
    private readonly runDir: string,
    readonly record: RunRecord,
    private readonly opts: { heartbeatMs?: number; now?: () => number; onError?: (e: Error) => void } = {},
  ) {}

  save(): Promise<void> {
    this.lastSave = this.now();
    const snapshot = structuredClone(this.record);
    const write = this.chain.then(() => writeRunRecord(this.runDir, snapshot));
    this.chain = write.catch(() => {});
    return write;
  }

  /** Records where a long phase stands; saves when the last save is older than the heartbeat period. */
  progress(progress: RunProgress): void {
    this.record.progress = progress;
    if (this.now() - this.lastSave < (this.opts.heartbeatMs ?? HEARTBEAT_MS)) return;
    this.save().catch((e: Error) => (this.opts.onError ?? (() => {}))(e));
  }

  /** The phase is over: no progress to show (saved with the next save). */
  clearProgress(): void {
    this.record.progress = null;
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
  if (!runDir) return;
  const path = join(runDir, 'run.json');
  const temp = `${path}.${process.pid}.force.tmp`;
  writeFileSync(temp, `${JSON.stringify({ ...record, status: 'interrupted', endTime: new Date().toISOString(), error: null, progress: null }, null, 2)}\n`);
  renameSync(temp, path);
}
