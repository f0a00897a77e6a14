// The plain objects protobufjs' toObject returns for the messages in protos.ts (snake_case field
// names, longs as numbers, enums as numbers); every field is optional because `defaults: false`
// leaves out what was not on the wire.

export interface DecodedTensorShape {
  dim?: { size?: number }[];
}

export interface DecodedTensor {
  dtype?: number;
  tensor_shape?: DecodedTensorShape;
  tensor_content?: Uint8Array;
  string_val?: Uint8Array[];
  float_val?: number[];
  double_val?: number[];
  int_val?: number[];
  int64_val?: number[];
  bool_val?: boolean[];
  half_val?: number[];
  uint32_val?: number[];
  uint64_val?: number[];
}

export interface DecodedHistogram {
  min?: number;
  max?: number;
  bucket_limit?: number[];
  bucket?: number[];
}

export interface DecodedImage {
  width?: number;
  height?: number;
  encoded_image_string?: Uint8Array;
}

export interface DecodedSummaryValue {
  tag?: string;
  node_name?: string;
  metadata?: { plugin_data?: { plugin_name?: string; content?: Uint8Array }; data_class?: number };
  simple_value?: number;
  histo?: DecodedHistogram;
  image?: DecodedImage;
  audio?: object;
  tensor?: DecodedTensor;
}

export interface DecodedEvent {
  wall_time?: number;
  step?: number;
  file_version?: string;
  summary?: { value?: DecodedSummaryValue[] };
  /** `status` is a number, or its name when decoded with `enums: String`. */
  session_log?: { status?: number | string; checkpoint_path?: string; msg?: string };
}

/** An HParams `Value` decoded with `oneofs: false`: at most one of the kinds is present. */
export interface DecodedHParamValue {
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
}

export interface DecodedHParamInfo {
  name: string;
  display_name?: string;
  description?: string;
  type?: number;
  domain_discrete?: { values?: DecodedHParamValue[] };
  domain_interval?: { min_value?: number; max_value?: number };
}

export interface DecodedMetricInfo {
  name?: { tag?: string; group?: string };
  display_name?: string;
  description?: string;
  dataset_type?: number;
}

export interface DecodedHParamsPluginData {
  experiment?: {
    name?: string;
    description?: string;
    user?: string;
    time_created_secs?: number;
    hparam_infos?: DecodedHParamInfo[];
    metric_infos?: DecodedMetricInfo[];
  };
  session_start_info?: {
    hparams?: Record<string, DecodedHParamValue>;
    group_name?: string;
    start_time_secs?: number;
    model_uri?: string;
    monitor_url?: string;
  };
  session_end_info?: { status?: number; end_time_secs?: number };
}
