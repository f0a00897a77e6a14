export { runExperiment, type RunOptions, type RunResult } from './run-experiment.ts';
export { loadDefinition, resolveInlineDefinition, listExperiments, DefinitionError, type LoadedDefinition } from '../experiment/load.ts';
export { definitionSchema, BASE_NAMES, type ExperimentDefinition } from '../experiment/definition.ts';
export { readRunRecord, writeRunRecord, type RunRecord, type RunStatus, type EpochHistory, type ParamCounts } from '../run/record.ts';
export { rebuildHparamsExperiment, runHparams, HPARAM_METRICS } from './summaries/hparams.ts';
