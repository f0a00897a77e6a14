import { z } from 'zod';

// run.json is untrusted input written by another module (or by hand): every field is optional and
// a field that fails validation is dropped with a warning instead of hiding the whole run.
const num = z.number().finite();
const nullableNum = num.nullable();
const params = z.object({ total: num, trainable: num, nonTrainable: num.optional() }).loose();

const fields = {
  schemaVersion: num,
  id: z.string(),
  experiment: z.string(),
  name: z.string().nullable(),
  status: z.enum(['running', 'success', 'interrupted', 'failed']),
  error: z.string().nullable(),
  definition: z.record(z.string(), z.unknown()),
  seed: nullableNum,
  tags: z.array(z.string()),
  notes: z.string().nullable(),
  git: z
    .object({ commit: z.string().nullable().optional(), dirty: z.boolean().nullable().optional() })
    .loose()
    .nullable(),
  command: z.array(z.string()),
  backend: z
    .object({
      name: z.string().optional(),
      kind: z.string().optional(),
      reason: z.string().optional(),
      versions: z.record(z.string(), z.string()).optional(),
    })
    .loose()
    .nullable(),
  hardware: z
    .object({
      platform: z.string().optional(),
      cpus: num.optional(),
      cpuModel: z.string().optional(),
      memoryBytes: num.optional(),
      gpu: z.unknown().optional(),
      node: z.string().optional(),
    })
    .loose()
    .nullable(),
  params: z.object({ base: params.optional(), model: params.optional() }).loose().nullable(),
  macsPerImage: nullableNum,
  baseMacsPerImage: nullableNum,
  dataset: z
    .object({
      train: num.optional(),
      validation: num.optional(),
      test: num.optional(),
      classNames: z.array(z.string()).optional(),
    })
    .loose()
    .nullable(),
  startTime: z.string().nullable(),
  endTime: z.string().nullable(),
  phases: z.record(z.string(), num).nullable(),
  epochs: z.object({ planned: nullableNum.optional(), completed: nullableNum.optional() }).loose().nullable(),
  globalStep: nullableNum,
  best: z.object({ epoch: num, valAccuracy: num, valLoss: nullableNum.optional() }).loose().nullable(),
  final: z
    .object({
      trainAccuracy: nullableNum.optional(),
      trainLoss: nullableNum.optional(),
      valAccuracy: nullableNum.optional(),
      valLoss: nullableNum.optional(),
      testAccuracy: nullableNum.optional(),
      testLoss: nullableNum.optional(),
    })
    .loose()
    .nullable(),
  perClassAccuracy: z.record(z.string(), num).nullable(),
  imagesPerSecond: nullableNum,
  compute: z
    .object({ trainImages: nullableNum.optional(), flops: nullableNum.optional(), seconds: nullableNum.optional() })
    .loose()
    .nullable(),
  featureCache: z
    .object({
      used: z.boolean().optional(),
      hit: z.boolean().optional(),
      key: z.string().optional(),
      path: z.string().optional(),
    })
    .loose()
    .nullable(),
  resumedFrom: z.object({ epoch: num, globalStep: num }).loose().nullable(),
  progress: z.object({ phase: z.string(), split: z.string().optional(), done: num, total: num }).loose().nullable(),
  history: z.array(
    z
      .object({
        epoch: num,
        step: nullableNum.optional(),
        wallTime: nullableNum.optional(),
        trainLoss: nullableNum.optional(),
        trainAccuracy: nullableNum.optional(),
        valLoss: nullableNum.optional(),
        valAccuracy: nullableNum.optional(),
        seconds: nullableNum.optional(),
        learningRate: nullableNum.optional(),
        imagesPerSecond: nullableNum.optional(),
      })
      .loose(),
  ),
};

type Fields = typeof fields;
export type RunRecord = { [K in keyof Fields]?: z.infer<Fields[K]> };
export type HistoryEntry = NonNullable<RunRecord['history']>[number];

export interface ParsedRecord {
  record: RunRecord;
  warnings: string[];
}

/** Validates a run.json text field by field; bad fields are dropped and named in `warnings`. */
export function parseRunRecord(text: string, file: string): ParsedRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { record: {}, warnings: [`${file}: not valid JSON (${(err as Error).message})`] };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { record: {}, warnings: [`${file}: expected a JSON object`] };
  }
  const record: Record<string, unknown> = {};
  const warnings: string[] = [];
  for (const [key, schema] of Object.entries(fields) as [keyof Fields, z.ZodType][]) {
    const value = (raw as Record<string, unknown>)[key];
    if (value === undefined) continue;
    const result = schema.safeParse(value);
    if (result.success) record[key] = result.data;
    else {
      const issue = result.error.issues[0];
      const where = [key, ...(issue?.path ?? [])].join('.');
      warnings.push(`${file}: field ${where}: ${issue?.message ?? 'invalid'}`);
    }
  }
  if (record.schemaVersion !== undefined && record.schemaVersion !== 1) {
    warnings.push(`${file}: field schemaVersion: expected 1, got ${String(record.schemaVersion)}`);
  }
  return { record: record as RunRecord, warnings };
}
