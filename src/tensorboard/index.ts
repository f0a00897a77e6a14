export { SummaryWriter, type SummaryWriterOptions } from './summary-writer.ts';
export { writeHparamsExperiment, EXPERIMENT_FILE_SUFFIX } from './hparams-experiment.ts';
export { EventFileWriter, type EventFileWriterOptions } from './event-file-writer.ts';
export { discoverRuns, type DiscoverOptions } from './discover.ts';
export { RunReader, type RunReaderOptions } from './run-reader.ts';
export type { ScalarPoint, HistogramPoint, HistogramBucket, ImagePoint, TextPoint, SeriesKind } from './run-data.ts';
export type {
  HParamInfo, MetricInfo, HParamsExperiment, HParamsData, SessionStart, SessionEnd, SessionStatus,
  SessionEndStatus, HParamValue,
} from './hparams.ts';
export { EXPERIMENT_TAG, SESSION_START_TAG, SESSION_END_TAG } from './hparams.ts';
export { maskedCrc32c, maskCrc } from './crc.ts';
export { histogramBuckets, DEFAULT_BUCKET_COUNT } from './histogram-buckets.ts';
export { eventFileName, isEventFileName } from './file-name.ts';
