// HParams plugin data (TB plugins/hparams/plugin_data.proto, api.proto): the tags, the shapes a
// caller writes and a reader gets back, and the wire codes of its enums. Encoding is in
// write/hparams-encode.ts, decoding in read/hparams-decode.ts.
import { z } from 'zod';

export const EXPERIMENT_TAG = '_hparams_/experiment';
export const SESSION_START_TAG = '_hparams_/session_start_info';
export const SESSION_END_TAG = '_hparams_/session_end_info';

export type HParamValue = string | number | boolean;

const hparamValueSchema = z.union([z.string(), z.number(), z.boolean()]);

const hparamInfoSchema = z.object({
  name: z.string().min(1),
  displayName: z.string().optional(),
  description: z.string().optional(),
  type: z.enum(['string', 'bool', 'float64']).optional(),
  domain: z
    .union([z.object({ discrete: z.array(hparamValueSchema).min(1) }), z.object({ min: z.number(), max: z.number() })])
    .optional(),
});
export type HParamInfo = z.infer<typeof hparamInfoSchema>;

const metricInfoSchema = z.object({
  tag: z.string().min(1),
  /** Run path relative to the session directory: '' (the session itself), 'train', 'validation'. */
  group: z.string().optional(),
  displayName: z.string().optional(),
  description: z.string().optional(),
  datasetType: z.enum(['training', 'validation', 'unknown']).optional(),
});
export type MetricInfo = z.infer<typeof metricInfoSchema>;

export const experimentSchema = z.object({
  hparams: z.array(hparamInfoSchema),
  metrics: z.array(metricInfoSchema),
  name: z.string().optional(),
  description: z.string().optional(),
  user: z.string().optional(),
  timeCreatedSecs: z.number().optional(),
});
export type HParamsExperiment = z.infer<typeof experimentSchema>;

export const sessionStartSchema = z.object({
  hparams: z.record(z.string(), hparamValueSchema),
  groupName: z.string().optional(),
  startTimeSecs: z.number().optional(),
});
export type SessionStartInput = z.infer<typeof sessionStartSchema>;

export interface SessionStart {
  hparams: Record<string, HParamValue | null>;
  groupName: string;
  startTimeSecs: number;
  modelUri: string;
  monitorUrl: string;
}

type SessionStatus = 'unknown' | 'success' | 'failure' | 'running';
/** What callers may pass; TensorBoard's enum has no "aborted", so an interrupted run is a failure. */
export type SessionEndStatus = SessionStatus | 'aborted' | 'interrupted' | 'failed';

export interface SessionEnd {
  status: SessionStatus;
  endTimeSecs: number;
}

export interface HParamsData {
  experiment?: HParamsExperiment;
  sessionStart?: SessionStart;
  sessionEnd?: SessionEnd;
}

// Wire codes of api.proto's Status, DataType and DatasetType enums.
export const STATUS_CODES: Record<SessionEndStatus, number> = {
  unknown: 0,
  success: 1,
  failure: 2,
  running: 3,
  aborted: 2,
  interrupted: 2,
  failed: 2,
};
export const STATUS_NAMES: SessionStatus[] = ['unknown', 'success', 'failure', 'running'];
export const TYPE_CODES = { string: 1, bool: 2, float64: 3 } as const;
export const TYPE_NAMES = [undefined, 'string', 'bool', 'float64'] as const;
export const DATASET_CODES = { unknown: 0, training: 1, validation: 2 } as const;
export const DATASET_NAMES = ['unknown', 'training', 'validation'] as const;
