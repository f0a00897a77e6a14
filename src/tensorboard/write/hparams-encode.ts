// Encodes HParams plugin data (experiment, session start, session end) for the writer.
import type { z } from 'zod';
import { HParamsPluginDataMessage } from '../format/protos.ts';
import {
  DATASET_CODES,
  STATUS_CODES,
  TYPE_CODES,
  type HParamInfo,
  type HParamValue,
  type HParamsExperiment,
  type SessionEndStatus,
  type SessionStartInput,
} from '../format/hparams-plugin.ts';

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
        ...(h.domain && 'discrete' in h.domain
          ? { domain_discrete: { values: h.domain.discrete.map(toProtoValue) } }
          : {}),
        ...(h.domain && 'min' in h.domain
          ? { domain_interval: { min_value: h.domain.min, max_value: h.domain.max } }
          : {}),
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
  if (code === undefined)
    throw new Error(`hparams session end: field status: unknown status ${JSON.stringify(status)}`);
  return encodePluginData({ session_end_info: { status: code, end_time_secs: endTimeSecs } });
}
