// run.json, schemaVersion 1: the one schema of a run's record (docs/ARCHITECTURE.md). Read strictly
// when a run is resumed (a wrong field stops it), leniently when the site shows it (a wrong field is
// dropped with a warning; a file that is no JSON object is an unreadable run with its reason).
// src/run/ owns run.json and the log layout; it imports src/experiment/ (the definition) only.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { definitionSchema, type ExperimentDefinition } from '../experiment/definition.ts';
import { UsageError } from '../experiment/usage-error.ts';
import { RUN_RECORD_FILE } from './layout.ts';

const RUN_STATUSES = ['running', 'success', 'interrupted', 'failed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

const num = z.number();
const nullableNum = num.nullable();
const paramCounts = z.object({ total: num, trainable: num, nonTrainable: num });
const epochHistory = z.object({
  epoch: num,
  /** Optimizer iterations completed at the end of this epoch. */
  step: num,
  wallTime: num,
  trainLoss: num,
  trainAccuracy: num,
  valLoss: nullableNum,
  valAccuracy: nullableNum,
  learningRate: num,
  imagesPerSecond: num,
  seconds: num,
});
/** The engine of a phase's forward passes of fixed weights (`--engine`); tfjs with the notice saying why. */
const engineEntry = z.object({
  engine: z.enum(['onnx', 'tfjs']),
  provider: z.string().nullable(),
  threads: nullableNum,
  version: z.string().nullable(),
  notice: z.string().nullable(),
});
const progress = z.object({
  phase: z.enum(['features', 'evaluate']),
  /** Split being processed (features: train / validation / test). */
  split: z.string().optional(),
  done: num,
  total: num,
});

/** Each top-level field and its schema. Fields beyond the documented contract are marked "added". */
const fields = {
  schemaVersion: z.literal(1),
  id: z.string(),
  experiment: z.string(),
  name: z.string().nullable(),
  status: z.enum(RUN_STATUSES),
  error: z.string().nullable(),
  /** Checked against the definition schema when the run is resumed (older runs' keys may differ). */
  definition: z.record(z.string(), z.unknown()),
  seed: nullableNum,
  tags: z.array(z.string()),
  notes: z.string().nullable(),
  git: z.object({ commit: z.string(), dirty: z.boolean() }).nullable(),
  command: z.array(z.string()),
  backend: z
    .object({ name: z.string(), kind: z.string(), reason: z.string(), versions: z.record(z.string(), z.string()) })
    .nullable(),
  hardware: z.object({
    platform: z.string(),
    cpus: num,
    cpuModel: z.string(),
    memoryBytes: num,
    gpu: z.string().nullable(),
    node: z.string(),
  }),
  params: z.object({ base: paramCounts, model: paramCounts }).nullable(),
  macsPerImage: nullableNum,
  /** added: the base alone, forward, one image. */
  baseMacsPerImage: nullableNum,
  startTime: z.string().nullable(),
  endTime: z.string().nullable(),
  phases: z.object({ data: num, model: num, features: num, train: num, evaluate: num }),
  epochs: z.object({ planned: nullableNum, completed: num }),
  globalStep: num,
  best: z.object({ epoch: num, valAccuracy: num, valLoss: num }).nullable(),
  /** JSON has no NaN: a run tested without training epochs has null train figures. */
  final: z
    .object({
      trainAccuracy: nullableNum,
      trainLoss: nullableNum,
      valAccuracy: nullableNum,
      valLoss: nullableNum,
      testAccuracy: num,
      testLoss: num,
    })
    .nullable(),
  perClassAccuracy: z.record(z.string(), num).nullable(),
  imagesPerSecond: nullableNum,
  compute: z.object({ trainImages: num, flops: num, seconds: num }),
  featureCache: z.object({ used: z.boolean(), hit: z.boolean(), key: z.string(), path: z.string() }).nullable(),
  resumedFrom: z.object({ epoch: num, globalStep: num }).nullable(),
  /** added: image counts of each split. */
  dataset: z.object({ train: num, validation: num, test: num, classNames: z.array(z.string()) }).nullable(),
  history: z.array(epochHistory),
  /** Where a long phase stands while running (a heartbeat for monitors); null between phases. Older runs lack it. */
  progress: progress.nullable().optional(),
  /** added: the process training the run (the last one, after a resume) and its host: a monitor on that
   * host tells a run.json left at `running` by a killed process from a live run. Older runs lack them. */
  pid: num.nullable().optional(),
  hostname: z.string().nullable().optional(),
  /** added: the forward engine of each phase of fixed weights (features, validation, test, frozen prefix). */
  engines: z
    .object({
      features: engineEntry.optional(),
      validation: engineEntry.optional(),
      test: engineEntry.optional(),
      prefix: engineEntry.optional(),
    })
    .optional(),
  /**
   * added: what the run was estimated to cost before it started (src/train/estimate.ts: a few timed
   * steps scaled to the run), and `actual`, the same figures measured, filled in when it ends.
   */
  estimate: z
    .object({
      backend: z.string(),
      featureCache: z.boolean(),
      timedSteps: num,
      /** added: the data-parallel workers the training steps were timed for (a worker's share of a batch). */
      workers: num.optional(),
      featureSeconds: num,
      secondsPerEpoch: num,
      testSeconds: num,
      totalSeconds: num,
      flops: num,
      peakMemoryBytes: num,
      /** Cheaper settings, named when the estimate exceeds 12 h on a CPU. */
      advice: z.array(z.string()),
      actual: z
        .object({ featureSeconds: num, secondsPerEpoch: nullableNum, testSeconds: num, totalSeconds: num })
        .nullable(),
    })
    .nullable()
    .optional(),
  /**
   * added: the data-parallel wasm workers the training steps ran on (`--workers`; 1: the training
   * thread itself), as of the last process (after a resume). Older runs lack it.
   */
  workers: num.nullable().optional(),
  /** added: `--time-budget`: the budget, and whether it ended training before the planned epochs. */
  timeBudget: z
    .object({ seconds: num, endedTraining: z.boolean(), predictedEpochSeconds: nullableNum })
    .nullable()
    .optional(),
};

const recordSchema = z.object(fields);
/** What --resume accepts: every field, the definition valid for this version (keys beyond the contract kept). */
const resumableSchema = recordSchema.extend({ definition: definitionSchema }).loose();

export type RunRecord = Omit<z.infer<typeof recordSchema>, 'definition'> & { definition: ExperimentDefinition };
export type EpochHistory = z.infer<typeof epochHistory>;
export type RunProgress = z.infer<typeof progress>;
export type ParamCounts = z.infer<typeof paramCounts>;
export type EngineEntry = z.infer<typeof engineEntry>;

type Fields = typeof fields;
/**
 * The site reads runs of older versions and of plain Keras too: inside a field, every key may be
 * missing except these when they cannot be null (without them the field means nothing).
 */
const SITE_REQUIRED = ['epoch', 'valAccuracy', 'total', 'trainable', 'phase', 'done', 'globalStep'] as const;
type SiteRequired = (typeof SITE_REQUIRED)[number];
type Kept<T> = { [K in keyof T]: K extends SiteRequired ? (null extends T[K] ? never : K) : never }[keyof T];
type Flat<T> = { [K in keyof T]: T[K] };
type Lenient<T> = T extends readonly (infer U)[]
  ? Lenient<U>[]
  : T extends object
    ? string extends keyof T
      ? T
      : Flat<{ [K in Exclude<keyof T, Kept<T>>]?: Lenient<T[K]> } & { [K in Kept<T>]: T[K] }>
    : T;
/** run.json as the site reads it (also from runs written by plain Keras): the fields that validated. */
export type LenientRunRecord = { [K in keyof Fields]?: Lenient<z.infer<Fields[K]>> };
export type HistoryEntry = NonNullable<LenientRunRecord['history']>[number];

export interface ParsedRecord {
  record: LenientRunRecord;
  /** One line per field dropped, or the reason the whole file is unreadable. */
  warnings: string[];
  /** Why the file cannot be read as a run at all (not JSON, not an object); null when it can. */
  unreadable: string | null;
}

/**
 * True when the record says `running` but names a process of this host that no longer exists (killed,
 * or the machine restarted): the site shows such a run as stale at once instead of after a quiet spell.
 */
export function runProcessGone(record: Pick<LenientRunRecord, 'status' | 'pid' | 'hostname'>): boolean {
  if (record.status !== 'running' || typeof record.pid !== 'number' || record.hostname !== hostname()) return false;
  try {
    process.kill(record.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Writes run.json atomically: a temp file in the same directory, then rename over the old one. */
export async function writeRunRecord(runDir: string, record: RunRecord): Promise<void> {
  const path = join(runDir, RUN_RECORD_FILE);
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, `${JSON.stringify(record, null, 2)}\n`);
  await rename(temp, path);
}

/** run.json for --resume: any field of the wrong type stops with one line naming the file and field. */
export function readRunRecord(runDir: string): RunRecord {
  const file = join(runDir, RUN_RECORD_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`${file}: not valid JSON (${(error as Error).message.split('\n')[0]})`);
  }
  const parsed = resumableSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`${file}: field ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** run.json for the site: validated field by field; bad fields are dropped and named in `warnings`. */
export function parseRunRecord(text: string, file: string): ParsedRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return unreadable(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return unreadable(`${file}: expected a JSON object`);
  const record: Record<string, unknown> = {};
  const warnings: string[] = [];
  for (const [key, schema] of Object.entries(fields) as [keyof Fields, z.ZodType][]) {
    const value = (raw as Record<string, unknown>)[key];
    if (value === undefined) continue;
    const result = lenient(schema).safeParse(value);
    if (result.success) {
      record[key] = result.data;
      continue;
    }
    const issue = result.error.issues[0];
    const where = [key, ...(issue?.path ?? [])].join('.');
    warnings.push(
      key === 'schemaVersion'
        ? `${file}: field schemaVersion: expected 1, got ${String(value)}`
        : `${file}: field ${where}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return { record, warnings, unreadable: null };
}

/** The same field schema with the keys inside its objects optional (but SITE_REQUIRED) and extra keys kept. */
function lenient(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodObject) {
    const shape = Object.fromEntries(
      Object.entries(schema.shape as Record<string, z.ZodType>).map(([k, v]) => [
        k,
        (SITE_REQUIRED as readonly string[]).includes(k) && !(v instanceof z.ZodNullable)
          ? lenient(v)
          : lenient(v).optional(),
      ]),
    );
    return z.object(shape).loose();
  }
  if (schema instanceof z.ZodArray) return z.array(lenient(schema.element as z.ZodType));
  if (schema instanceof z.ZodNullable) return lenient(schema.unwrap() as z.ZodType).nullable();
  if (schema instanceof z.ZodOptional) return lenient(schema.unwrap() as z.ZodType).optional();
  return schema;
}

function unreadable(reason: string): ParsedRecord {
  return { record: {}, warnings: [reason], unreadable: reason };
}
