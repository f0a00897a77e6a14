import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExperimentDefinition } from '../experiment/definition.ts';

export type RunStatus = 'running' | 'success' | 'interrupted' | 'failed';

export interface ParamCounts {
  total: number;
  trainable: number;
  nonTrainable: number;
}

export interface EpochHistory {
  epoch: number;
  /** Optimizer iterations completed at the end of this epoch. */
  step: number;
  wallTime: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss: number | null;
  valAccuracy: number | null;
  learningRate: number;
  imagesPerSecond: number;
  seconds: number;
}

/** run.json, schemaVersion 1 (docs/ARCHITECTURE.md). Fields beyond the contract are marked "added". */
export interface RunRecord {
  schemaVersion: 1;
  id: string;
  experiment: string;
  name: string | null;
  status: RunStatus;
  error: string | null;
  definition: ExperimentDefinition;
  seed: number;
  tags: string[];
  notes: string;
  git: { commit: string; dirty: boolean } | null;
  command: string[];
  backend: { name: string; kind: string; reason: string; versions: Record<string, string> } | null;
  hardware: { platform: string; cpus: number; cpuModel: string; memoryBytes: number; gpu: string | null; node: string };
  params: { base: ParamCounts; model: ParamCounts } | null;
  macsPerImage: number | null;
  /** added: the base alone, forward, one image. */
  baseMacsPerImage: number | null;
  startTime: string;
  endTime: string | null;
  phases: { data: number; model: number; features: number; train: number; evaluate: number };
  epochs: { planned: number; completed: number };
  globalStep: number;
  best: { epoch: number; valAccuracy: number; valLoss: number } | null;
  final: {
    trainAccuracy: number;
    trainLoss: number;
    valAccuracy: number | null;
    valLoss: number | null;
    testAccuracy: number;
    testLoss: number;
  } | null;
  perClassAccuracy: Record<string, number> | null;
  imagesPerSecond: number | null;
  compute: { trainImages: number; flops: number; seconds: number };
  featureCache: { used: boolean; hit: boolean; key: string; path: string } | null;
  resumedFrom: { epoch: number; globalStep: number } | null;
  /** added: image counts of each split. */
  dataset: { train: number; validation: number; test: number; classNames: string[] } | null;
  history: EpochHistory[];
  /**
   * Where a long phase stands while the run is running (rewritten at most every few seconds, a
   * heartbeat for monitors); null between phases and at the end. Optional: older runs lack it.
   */
  progress?: RunProgress | null;
  /**
   * added: the run-root event file holding the HParams session end of an interrupted or failed run
   * (deleted by --resume, so TensorBoard sees the final status); null otherwise.
   */
  hparamsSessionEndFile?: string | null;
}

export interface RunProgress {
  phase: 'features' | 'evaluate';
  /** Split being processed (features: train / validation / test). */
  split?: string;
  done: number;
  total: number;
}

/** Writes run.json atomically: a temp file in the same directory, then rename over the old one. */
export async function writeRunRecord(runDir: string, record: RunRecord): Promise<void> {
  const path = join(runDir, 'run.json');
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, `${JSON.stringify(record, null, 2)}\n`);
  await rename(temp, path);
}

export function readRunRecord(runDir: string): RunRecord {
  return JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as RunRecord;
}
