import { dirname, isAbsolute, resolve } from 'node:path';
import { mixSeed, mulberry32 } from '../data/random.ts';
import type { ExperimentDefinition } from '../experiment/definition.ts';
import { defaultExperimentsDir, loadDefinition } from '../experiment/load.ts';
import { UsageError } from '../experiment/usage-error.ts';
import type { Distribution } from './definition.ts';
import type { LoadedSweep } from './load-sweep.ts';
import { groupId, trialId } from './trial-id.ts';

/** Plans bigger than this need `--yes`: a typo in a grid should not queue a month of compute. */
export const CONFIRM_ABOVE_TRIALS = 1000;

export interface Trial {
  /** Position in the plan (0-based): grid cells in file order, then random draws, then seeds. */
  index: number;
  id: string;
  groupId: string;
  /** The parent experiment as the experiment CLI takes it. */
  experiment: string;
  /** The experiment's name (where its runs go under the logdir). */
  experimentName: string;
  seed: number;
  /** What this trial sets beyond the sweep's shared `set:` (grid and random keys), for tables. */
  assignments: Record<string, unknown>;
  /** Every `--set` of the trial: the shared ones, then the grid's, then the random draws'. */
  overrides: string[];
  definition: ExperimentDefinition;
}

export interface ExpandOptions {
  /** Allow more than CONFIRM_ABOVE_TRIALS trials. */
  yes?: boolean;
  experimentsDir?: string;
}

/** The number of trials, before anything is resolved (so a huge plan is refused at once). */
export function trialCount(loaded: LoadedSweep): number {
  const s = loaded.sweep;
  const cells = Object.values(s.grid ?? {}).reduce((n, values) => n * values.length, 1);
  const seeds = s.seeds?.length ?? s.repeats ?? 1;
  return cells * (s.random?.count ?? 1) * seeds;
}

/**
 * Expands a sweep into its trials, each with its definition resolved exactly as the experiment CLI
 * resolves `<experiment> --set …` (so a bad key or value fails here, naming the sweep file and key).
 */
export function expandSweep(loaded: LoadedSweep, options: ExpandOptions = {}): Trial[] {
  const { sweep: s, where } = loaded;
  const count = trialCount(loaded);
  if (count > CONFIRM_ABOVE_TRIALS && !options.yes) {
    const parts = [
      s.grid ? 'grid' : null,
      s.random ? 'random.count' : null,
      s.seeds ? 'seeds' : s.repeats ? 'repeats' : null,
    ].filter(Boolean);
    throw new UsageError(
      `${where}: ${parts.join(' × ')}: ${count.toLocaleString('en-US')} trials, more than ${CONFIRM_ABOVE_TRIALS.toLocaleString('en-US')}: pass --yes to run them all`,
    );
  }
  const parent = resolveParent(loaded, options.experimentsDir);
  const shared: string[] = [];
  for (const [key, value] of Object.entries(s.set)) {
    shared.push(setFlag(key, value));
    resolveOrExplain(parent, shared, where, `set.${key}`, options.experimentsDir);
  }
  const parentDef = resolveOrExplain(parent, shared, where, 'set', options.experimentsDir);

  // Each key and value on its own first, so an error names the key that is wrong.
  for (const [key, values] of Object.entries(s.grid ?? {})) {
    for (const v of values)
      resolveOrExplain(parent, [...shared, setFlag(key, v)], where, `grid.${key}`, options.experimentsDir);
  }
  for (const [key, d] of Object.entries(s.random?.params ?? {})) {
    const ends = d.distribution === 'choice' ? d.values : [d.min, d.max];
    for (const v of ends)
      resolveOrExplain(parent, [...shared, setFlag(key, v)], where, `random.params.${key}`, options.experimentsDir);
  }

  const cells = gridCells(s.grid ?? {});
  const draws = s.random ? randomDraws(s.random.params, s.random.count, s.random.seed) : [[]];
  const seeds = s.seeds ?? Array.from({ length: s.repeats ?? 1 }, (_, i) => parentDef.definition.seed + i);
  const experimentName = parentDef.experiment;
  const trials: Trial[] = [];
  for (const cell of cells) {
    for (const draw of draws) {
      const assigned = [...cell, ...draw];
      const overrides = [...shared, ...assigned.map(([k, v]) => setFlag(k, v))];
      const summary = assigned.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
      const resolved = resolveOrExplain(
        parent,
        overrides,
        where,
        `trial ${trials.length + 1}${summary ? ` (${summary})` : ''}`,
        options.experimentsDir,
      );
      for (const seed of seeds) {
        const definition = { ...resolved.definition, seed };
        trials.push({
          index: trials.length,
          id: trialId(experimentName, definition),
          groupId: groupId(experimentName, definition),
          experiment: loaded.experiment,
          experimentName,
          seed,
          assignments: Object.fromEntries(assigned),
          overrides,
          definition,
        });
      }
    }
  }
  const seen = new Map<string, Trial>();
  for (const t of trials) {
    const twin = seen.get(t.id);
    if (twin) {
      throw new UsageError(
        `${where}: trials ${twin.index + 1} and ${t.index + 1} resolve to the same definition (a grid value that the parent already has, or a repeated value)`,
      );
    }
    seen.set(t.id, t);
  }
  return trials;
}

/** The parent as loadDefinition takes it here: a bare name, or a path resolved from the project root. */
function resolveParent(loaded: LoadedSweep, experimentsDir?: string): string {
  if (!loaded.experiment.includes('/') && !/\.(ya?ml|json)$/.test(loaded.experiment)) return loaded.experiment;
  const root = dirname(experimentsDir ?? defaultExperimentsDir());
  return isAbsolute(loaded.experiment) ? loaded.experiment : resolve(root, loaded.experiment);
}

/** A YAML value as the text `--set key=value` takes; numbers print exactly (shortest round trip). */
export function setFlag(key: string, value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return `${key}=${text}`;
}

function resolveOrExplain(parent: string, overrides: string[], where: string, key: string, experimentsDir?: string) {
  try {
    return loadDefinition(parent, { overrides, ...(experimentsDir ? { experimentsDir } : {}) });
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    throw new UsageError(
      `${where}: ${key}: ${problemOf(error.message, key.replace(/^(grid|random\.params|set)\./, ''))}`,
    );
  }
}

/**
 * loadDefinition's message without its "<file>[ with --set …]: " and "--set <key>: " prefixes (they
 * name the parent file and the flag, not the sweep file) and without the key when the sweep's message
 * already names it.
 */
function problemOf(message: string, key: string): string {
  const withSet = message.match(/ with --set .*?: ([a-zA-Z_][\w.]*: .*)$/);
  let problem = withSet ? withSet[1]! : message.slice(message.indexOf(': ') + 2);
  problem = problem.replace(/^--set [^:]+: /, '');
  return problem.startsWith(`${key}: `) ? problem.slice(key.length + 2) : problem;
}

type Assignment = [string, unknown];

function gridCells(grid: Record<string, unknown[]>): Assignment[][] {
  let cells: Assignment[][] = [[]];
  for (const [key, values] of Object.entries(grid)) {
    cells = cells.flatMap((cell) => values.map((v): Assignment[] => [...cell, [key, v]]));
  }
  return cells;
}

/** `count` draws of every random key, the same for every grid cell, from a stream seeded by `seed`. */
function randomDraws(params: Record<string, Distribution>, count: number, seed: number): Assignment[][] {
  const draws: Assignment[][] = [];
  for (let i = 0; i < count; i++) {
    const next = mulberry32(mixSeed(seed, i));
    draws.push(Object.entries(params).map(([key, d]): Assignment => [key, draw(d, next())]));
  }
  return draws;
}

function draw(d: Distribution, u: number): unknown {
  const six = (x: number) => Number(x.toPrecision(6));
  switch (d.distribution) {
    case 'choice':
      return d.values[Math.min(d.values.length - 1, Math.floor(u * d.values.length))];
    case 'uniform':
      return six(d.min + u * (d.max - d.min));
    case 'log-uniform':
      return six(Math.exp(Math.log(d.min) + u * (Math.log(d.max) - Math.log(d.min))));
    case 'int':
      return d.min + Math.min(d.max - d.min, Math.floor(u * (d.max - d.min + 1)));
  }
}
