// Decodes HParams plugin data read back from an event file.
import { HParamsPluginDataMessage, toNumber } from '../format/protos.ts';
import type {
  DecodedHParamInfo,
  DecodedHParamsPluginData,
  DecodedHParamValue,
  DecodedMetricInfo,
} from '../format/decoded.ts';
import {
  DATASET_NAMES,
  STATUS_NAMES,
  TYPE_NAMES,
  type HParamInfo,
  type HParamValue,
  type HParamsExperiment,
  type MetricInfo,
  type SessionEnd,
  type SessionStart,
} from '../format/hparams-plugin.ts';

// Only fields present on the wire, so oneof members can be told apart by presence.
const TO_OBJECT = { longs: Number, enums: Number, defaults: false, arrays: false, oneofs: false } as const;

function fromProtoValue(v: DecodedHParamValue | undefined): HParamValue | null {
  if (!v) return null;
  if (v.numberValue != null) return v.numberValue;
  if (v.stringValue != null) return v.stringValue;
  if (v.boolValue != null) return v.boolValue;
  return null;
}

function hparamInfo(h: DecodedHParamInfo): HParamInfo {
  const type = h.type === undefined ? undefined : TYPE_NAMES[h.type];
  return {
    name: h.name,
    ...(h.display_name ? { displayName: h.display_name } : {}),
    ...(h.description ? { description: h.description } : {}),
    ...(type ? { type } : {}),
    ...(h.domain_discrete
      ? {
          domain: {
            discrete: (h.domain_discrete.values ?? []).map(fromProtoValue).filter((v): v is HParamValue => v !== null),
          },
        }
      : h.domain_interval
        ? { domain: { min: h.domain_interval.min_value ?? 0, max: h.domain_interval.max_value ?? 0 } }
        : {}),
  };
}

function metricInfo(m: DecodedMetricInfo): MetricInfo {
  return {
    tag: m.name?.tag ?? '',
    group: m.name?.group ?? '',
    ...(m.display_name ? { displayName: m.display_name } : {}),
    ...(m.description ? { description: m.description } : {}),
    datasetType: DATASET_NAMES[m.dataset_type ?? 0] ?? 'unknown',
  };
}

type DecodedHParams =
  | { kind: 'experiment'; experiment: HParamsExperiment }
  | { kind: 'sessionStart'; sessionStart: SessionStart }
  | { kind: 'sessionEnd'; sessionEnd: SessionEnd };

/** Decodes SummaryMetadata.plugin_data.content of an `hparams` value; throws on damage. */
export function decodeHParamsContent(content: Uint8Array): DecodedHParams | undefined {
  const d = HParamsPluginDataMessage.toObject(
    HParamsPluginDataMessage.decode(content),
    TO_OBJECT,
  ) as DecodedHParamsPluginData;
  if (d.experiment) {
    const e = d.experiment;
    return {
      kind: 'experiment',
      experiment: {
        name: e.name || undefined,
        description: e.description || undefined,
        user: e.user || undefined,
        timeCreatedSecs: e.time_created_secs ?? 0,
        hparams: (e.hparam_infos ?? []).map(hparamInfo),
        metrics: (e.metric_infos ?? []).map(metricInfo),
      },
    };
  }
  if (d.session_start_info) {
    const s = d.session_start_info;
    const hparams: Record<string, HParamValue | null> = {};
    for (const [k, v] of Object.entries(s.hparams ?? {})) hparams[k] = fromProtoValue(v);
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
    return {
      kind: 'sessionEnd',
      sessionEnd: { status: STATUS_NAMES[s.status ?? 0] ?? 'unknown', endTimeSecs: s.end_time_secs ?? 0 },
    };
  }
  return undefined;
}
