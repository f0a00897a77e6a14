import * as tf from '@tensorflow/tfjs';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { fileSystemIO } from '../models/weights/tfjs-layers.ts';
import { CHECKPOINT_DIR } from '../run/layout.ts';
import type { EpochHistory, RunRecord } from '../run/record.ts';

/** Where the loop stands: enough to continue exactly (same batch order, same augmentation draws). */
export interface TrainState {
  version: 1;
  /** The epoch in progress (or the next one when batchInEpoch is 0). */
  epoch: number;
  /** Batches of `epoch` already done. */
  batchInEpoch: number;
  globalStep: number;
  /** Batch order and augmentation come from (seed, epoch, batch). */
  seed: number;
  /** Running sums of the epoch in progress, so its epoch_* values are exact after a resume. */
  epochSums: { loss: number; correct: number; seen: number; seconds: number };
  best: RunRecord['best'];
  history: EpochHistory[];
  /** Images trained on so far (all epochs, counting repeats). */
  trainImages: number;
  savedAt: string;
}

/** A run's state before its first step. */
export function initialTrainState(seed: number): TrainState {
  return {
    version: 1,
    epoch: 0,
    batchInEpoch: 0,
    globalStep: 0,
    seed,
    epochSums: { loss: 0, correct: 0, seen: 0, seconds: 0 },
    best: null,
    history: [],
    trainImages: 0,
    savedAt: '',
  };
}

const stateSchema = z.object({
  version: z.literal(1),
  epoch: z.number().int().nonnegative(),
  batchInEpoch: z.number().int().nonnegative(),
  globalStep: z.number().int().nonnegative(),
  seed: z.number().int(),
  epochSums: z.object({ loss: z.number(), correct: z.number(), seen: z.number(), seconds: z.number() }),
  best: z.object({ epoch: z.number(), valAccuracy: z.number(), valLoss: z.number() }).nullable(),
  history: z.array(z.record(z.string(), z.unknown())),
  trainImages: z.number().nonnegative(),
  savedAt: z.string(),
});

/**
 * Saves model weights + optimizer state (tfjs layers format through fileSystemIO) and state.json into
 * a fresh folder, then swaps it in for `checkpoints/` with two renames; a crash between them leaves
 * the previous checkpoint under `checkpoints.old-*`, which loadCheckpoint falls back to.
 */
export async function saveCheckpoint(runDir: string, model: tf.LayersModel, state: TrainState): Promise<void> {
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const fresh = join(runDir, `${CHECKPOINT_DIR}.new-${tag}`);
  const final = join(runDir, CHECKPOINT_DIR);
  const old = join(runDir, `${CHECKPOINT_DIR}.old-${tag}`);
  try {
    await model.save(fileSystemIO(fresh), { includeOptimizer: true });
    await writeFile(join(fresh, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
    if (existsSync(final)) await rename(final, old);
    await rename(fresh, final);
    await rm(old, { recursive: true, force: true });
  } catch (error) {
    await rm(fresh, { recursive: true, force: true });
    throw error;
  }
}

/** The folder holding the newest complete checkpoint of a run, or null. */
export function checkpointDir(runDir: string): string | null {
  const final = join(runDir, CHECKPOINT_DIR);
  if (existsSync(join(final, 'state.json'))) return final;
  const leftovers = existsSync(runDir)
    ? readdirSync(runDir)
        .filter((f) => f.startsWith(`${CHECKPOINT_DIR}.old-`))
        .map((f) => join(runDir, f))
    : [];
  return leftovers.find((d) => existsSync(join(d, 'state.json'))) ?? null;
}

/** The loop state of the run's newest checkpoint, or null when none was saved. */
export async function readCheckpointState(runDir: string): Promise<TrainState | null> {
  const dir = checkpointDir(runDir);
  return dir === null ? null : readTrainState(dir);
}

async function readTrainState(dir: string): Promise<TrainState> {
  const path = join(dir, 'state.json');
  const parsed = stateSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${path}: ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data as unknown as TrainState;
}

/**
 * Restores a checkpoint into a freshly built model of the same definition (weights matched by name
 * and shape) and into its optimizer; returns the saved loop state.
 */
export async function loadCheckpoint(dir: string, model: tf.LayersModel, optimizer: tf.Optimizer): Promise<TrainState> {
  const state = await readTrainState(dir);
  const artifacts = await fileSystemIO(dir).load!();
  const specs = artifacts.weightSpecs ?? [];
  const data =
    artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
  const tensors = tf.io.decodeWeights(data, specs);
  try {
    const saved = new Map(specs.filter((s) => s.group !== 'optimizer').map((s) => [s.name, tensors[s.name]!]));
    const pairs: [tf.LayerVariable, tf.Tensor][] = model.weights.map((w) => {
      const t = saved.get(w.originalName);
      if (!t) throw new Error(`${dir}: checkpoint has no weight ${w.originalName}; was it made by another definition?`);
      if (t.shape.join('x') !== w.shape.join('x')) {
        throw new Error(
          `${dir}: weight ${w.originalName} has shape [${t.shape}] in the checkpoint, [${w.shape}] in the model`,
        );
      }
      return [w, t];
    });
    for (const [w, t] of pairs) w.write(t);
    const optimizerWeights = specs
      .filter((s) => s.group === 'optimizer')
      .map((s) => ({ name: s.name, tensor: tensors[s.name]! }));
    if (optimizerWeights.length > 0) await optimizer.setWeights(optimizerWeights);
  } finally {
    tf.dispose(Object.values(tensors));
  }
  return state;
}
