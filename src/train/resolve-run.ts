import type { ExperimentDefinition } from '../experiment/definition.ts';
import { loadDefinition, resolveInlineDefinition, type LoadedDefinition } from '../experiment/load.ts';
import { readRunRecord, type RunRecord } from '../run/record.ts';
import { locateRun } from '../run/layout.ts';
import { UsageError } from '../experiment/usage-error.ts';

interface ResolvedRun {
  loaded: LoadedDefinition;
  /** The definition with the seed and extra tags of this invocation. */
  def: ExperimentDefinition;
  /** The run being resumed (its folder and last record); null for a new run. */
  resume: { runDir: string; previous: RunRecord } | null;
}

/**
 * What is to be trained: a new run's definition (a name, a file, or an inline object; `--set`
 * overrides applied), or the definition a resumed run recorded. Validates everything; creates nothing.
 */
export function resolveRun(
  definitionOrName: string | Record<string, unknown> | null,
  opts: {
    logdir: string;
    resume?: string;
    experimentsDir?: string;
    overrides?: string[];
    seed?: number;
    tags?: string[];
  },
): ResolvedRun {
  let loaded: LoadedDefinition;
  let resume: ResolvedRun['resume'] = null;
  if (opts.resume) {
    const runDir = locateRun(opts.logdir, opts.resume);
    const previous = readRunRecord(runDir);
    if (previous.status === 'success')
      throw new UsageError(`--resume ${opts.resume}: that run finished successfully; there is nothing to continue`);
    if (typeof definitionOrName === 'string' && definitionOrName !== previous.experiment) {
      throw new UsageError(
        `--resume ${opts.resume}: that run is experiment ${previous.experiment}, not ${definitionOrName}`,
      );
    }
    loaded = { experiment: previous.experiment, file: null, definition: previous.definition };
    resume = { runDir, previous };
  } else {
    if (definitionOrName === null) throw new UsageError('no experiment named (see --help)');
    const how = { experimentsDir: opts.experimentsDir, overrides: opts.overrides ?? [] };
    loaded =
      typeof definitionOrName === 'string'
        ? loadDefinition(definitionOrName, how)
        : resolveInlineDefinition(definitionOrName, how);
  }
  const def: ExperimentDefinition = {
    ...loaded.definition,
    seed: opts.seed ?? loaded.definition.seed,
    tags: [...new Set([...loaded.definition.tags, ...(opts.tags ?? [])])],
  };
  return { loaded, def, resume };
}
