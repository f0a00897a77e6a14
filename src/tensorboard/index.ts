// src/tensorboard: TensorBoard event files, written and read as TF2/Keras and TensorBoard do.
// format/ owns the bytes on disk (protos, CRC, record framing, file names, HParams plugin shapes);
// write/ turns summaries into records and read/ turns records back into series: each imports
// format/ only, never the other. Imports nothing else from transfer-lab.
export { SummaryWriter } from './write/summary-writer.ts';
export { writeHparamsExperiment, EXPERIMENT_FILE_SUFFIX } from './write/hparams-experiment.ts';
export { hparamsGroupName } from './write/hparams-group.ts';
export { kerasModelConfigFromTfjs } from './write/keras-model-config.ts';
export { writeWeightHistograms, type NamedWeight } from './write/weight-histograms.ts';
export { truncateEventFilesAfter } from './write/truncate-event-files.ts';
export { type EventFileDamage, RunReader } from './read/run-reader.ts';
export { discoverRuns } from './read/discover.ts';
export { isEventFileName } from './format/file-name.ts';
export type { ScalarPoint, ImagePoint, TextPoint } from './read/run-data.ts';
export type { HParamInfo, MetricInfo, HParamValue, HParamsData } from './format/hparams-plugin.ts';
