// HParams plugin data (TB plugins/hparams/plugin_data.proto, api.proto): encoding for the writer,
// decoding for the reader, and the user-facing shapes of both.
import { z } from 'zod';
import { HParamsPluginDataMessage, toNumber } from './protos.ts';

export const EXPERIMENT_TAG = '_hparams_/experiment';
export const SESSION_START_TAG = '_hparams_/session_start_info';
export const SESSION_END_TAG = '_hparams_/session_end_info';

export type HParamValue = string | number | boolean;

const hparamValueSchema = z.union([z.string(), z.number(), z.boolean()]);

export const hparamInfoSchema = z.object({
  name: z.string().min(1),
  displayName: z.string().optional(),
  description: z.string().optional(),
  type: z.enum(['string', 'bool', 'float64']).optional(),
  domain: z
    .union([
      z.object({ discrete: z.array(hparamValueSchema).min(1) }),
      z.object({ min: z.number(), max: z.number() }),
    ])
    .optional(),
});
export type HParamInfo = z.infer<typeof hparamInfoSchema>;

export const metricInfoSchema = z.object({
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

export type SessionStatus = 'unknown' | 'success' | 'failure' | 'running';
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

const STATUS_CODES: Record<SessionEndStatus, number> = {
  unknown: 0, success: 1, failure: 2, running: 3, aborted: 2, interrupted: 2, failed: 2,
};
const STATUS_NAMES: SessionStatus[] = ['unknown', 'success', 'failure', 'running'];
const TYPE_CODES = { string: 1, bool: 2, float64: 3 } as const;
const TYPE_NAMES = [undefined, 'string', 'bool', 'float64'] as const;
const DATASET_CODES = { unknown: 0, training: 1, validation: 2 } as const;
const DATASET_NAMES = ['unknown', 'training', 'validation'] as const;

/** One-line error naming the source and the offending field. */
export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new Error(`${where}: field ${issue.path.join('.') || '(root)'}: ${issue.message}`);
}

function toProtoValue(v: HParamValue): Record<string, unknown> {
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  return { stringValue: v };
}

function inferType(info: HParamInfo): number {
  if (info.type) return TYPE_CODES[info.type];
  if (!info.domain) return 0;
  if ('min' in info.domain) return TYPE_CODES.float64;
  const kinds = new Set(info.domain.discrete.map((v) => typeof v));
  if (kinds.size !== 1) return TYPE_CODES.string;
  return kinds.has('number') ? TYPE_CODES.float64 : kinds.has('boolean') ? TYPE_CODES.bool : TYPE_CODES.string;
}

function encodePluginData(data: Record<string, unknown>): Uint8Array {
  return HParamsPluginDataMessage.encode(HParamsPluginDataMessage.fromObject({ version: 0, ...data })).finish();
}

export function encodeExperiment(exp: HParamsExperiment): Uint8Array {
  return encodePluginData({
    experiment: {
      name: exp.name ?? '',
      description: exp.description ?? '',
      user: exp.user ?? '',
      time_created_secs: exp.timeCreatedSecs ?? Date.now() / 1000,
      hparam_infos: exp.hparams.map((h) => ({
        name: h.name,
        display_name: h.displayName ?? '',
        description: h.description ?? '',
        type: inferType(h),
        ...(h.domain && 'discrete' in h.domain ? { domain_discrete: { values: h.domain.discrete.map(toProtoValue) } } : {}),
        ...(h.domain && 'min' in h.domain ? { domain_interval: { min_value: h.domain.min, max_value: h.domain.max } } : {}),
      })),
      metric_infos: exp.metrics.map((m) => ({
        name: { group: m.group ?? '', tag: m.tag },
        display_name: m.displayName ?? '',
        description: m.description ?? '',
        dataset_type: DATASET_CODES[m.datasetType ?? 'unknown'],
      })),
    },
  });
}

export function encodeSessionStart(s: SessionStartInput, groupName: string): Uint8Array {
  const hparams: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s.hparams)) hparams[k] = toProtoValue(v);
  return encodePluginData({
    session_start_info: { hparams, group_name: groupName, start_time_secs: s.startTimeSecs ?? Date.now() / 1000 },
  });
}

export function encodeSessionEnd(status: SessionEndStatus, endTimeSecs: number): Uint8Array {
  const code = STATUS_CODES[status];
  if (code === undefined) throw new Error(`hparams session end: field status: unknown status ${JSON.stringify(status)}`);
  return encodePluginData({ session_end_info: { status: code, end_time_secs: endTimeSecs } });
}

type Obj = Record<string, any>;

// Only fields present on the wire, so oneof members can be told apart by presence.
const TO_OBJECT = { longs: Number, enums: Number, defaults: false, arrays: false, oneofs: false } as const;

function fromProtoValue(v: Obj | undefined): HParamValue | null {
  if (!v) return null;
  if (v.numberValue != null) return v.numberValue as number;
  if (v.stringValue != null) return v.stringValue as string;
  if (v.boolValue != null) return v.boolValue as boolean;
  return null;
}

export type DecodedHParams =
  | { kind: 'experiment'; experiment: HParamsExperiment }
  | { kind: 'sessionStart'; sessionStart: SessionStart }
  | { kind: 'sessionEnd'; sessionEnd: SessionEnd };

/** Decodes SummaryMetadata.plugin_data.content of an `hparams` value; throws on damage. */
export function decodeHParamsContent(content: Uint8Array): DecodedHParams | undefined {
  const d = HParamsPluginDataMessage.toObject(HParamsPluginDataMessage.decode(content), TO_OBJECT) as Obj;
  if (d.experiment) {
    const e = d.experiment;
    return {
      kind: 'experiment',
      experiment: {
        name: e.name || undefined,
        description: e.description || undefined,
        user: e.user || undefined,
        timeCreatedSecs: e.time_created_secs ?? 0,
        hparams: (e.hparam_infos ?? []).map((h: Obj): HParamInfo => ({
          name: h.name,
          ...(h.display_name ? { displayName: h.display_name } : {}),
          ...(h.description ? { description: h.description } : {}),
          ...(TYPE_NAMES[h.type] ? { type: TYPE_NAMES[h.type] } : {}),
          ...(h.domain_discrete
            ? { domain: { discrete: (h.domain_discrete.values ?? []).map(fromProtoValue).filter((v: unknown) => v !== null) } }
            : h.domain_interval
              ? { domain: { min: h.domain_interval.min_value ?? 0, max: h.domain_interval.max_value ?? 0 } }
              : {}),
        })),
        metrics: (e.metric_infos ?? []).map((m: Obj): MetricInfo => ({
          tag: m.name?.tag ?? '',
          group: m.name?.group ?? '',
          ...(m.display_name ? { displayName: m.display_name } : {}),
          ...(m.description ? { description: m.description } : {}),
          datasetType: DATASET_NAMES[m.dataset_type ?? 0] ?? 'unknown',
        })),
      },
    };
  }
  if (d.session_start_info) {
    const s = d.session_start_info;
    const hparams: Record<string, HParamValue | null> = {};
    for (const [k, v] of Object.entries((s.hparams ?? {}) as Obj)) hparams[k] = fromProtoValue(v);
    return {
      kind: 'sessionStart',
      sessionStart: {
        hparams,
        groupName: s.group_name ?? '',
        startTimeSecs: toNumber(s.start_time_secs ?? 0),
        modelUri: s.model_uri ?? '',
        monitorUrl: s.monitor_url ?? '',
      },
    };
  }
  if (d.session_end_info) {
    const s = d.session_end_info;
    return { kind: 'sessionEnd', sessionEnd: { status: STATUS_NAMES[s.status ?? 0] ?? 'unknown', endTimeSecs: s.end_time_secs ?? 0 } };
  }
  return undefined;
}
