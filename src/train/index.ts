export { runExperiment, type RunOptions, type RunResult } from './run-experiment.ts';
export { loadDefinition, resolveInlineDefinition, listExperiments, DefinitionError, type LoadedDefinition } from './load-definition.ts';
export { definitionSchema, BASE_NAMES, type ExperimentDefinition } from './definition.ts';
export { readRunRecord, writeRunRecord, type RunRecord, type RunStatus, type EpochHistory, type ParamCounts } from './run-record.ts';
export { rebuildHparamsExperiment, runHparams, HPARAM_METRICS } from './hparams.ts';
