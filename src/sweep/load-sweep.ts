import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { defaultExperimentsDir, describeIssue } from '../experiment/load.ts';
import { UsageError } from '../experiment/usage-error.ts';
import { sweepSchema, type SweepDefinition } from './definition.ts';

export const defaultSweepsDir = (): string => join(defaultExperimentsDir(), 'sweeps');

const EXTENSIONS = ['.yaml', '.yml', '.json'];

export interface LoadedSweep {
  /** The sweep's name (its `name:`, else the file's base name). */
  name: string;
  /** The file, as messages show it (relative to the working directory when inside it). */
  where: string;
  file: string;
  sweep: SweepDefinition;
  /**
   * The parent experiment as the experiment CLI takes it: a bare name for a definition in
   * experiments/, else a path (relative to the project root when inside it, so other machines with
   * the same checkout find it).
   */
  experiment: string;
}

export function listSweeps(sweepsDir = defaultSweepsDir()): string[] {
  if (!existsSync(sweepsDir)) return [];
  return [
    ...new Set(
      readdirSync(sweepsDir)
        .filter((f) => EXTENSIONS.includes(extname(f)))
        .map((f) => basename(f, extname(f))),
    ),
  ].sort();
}

/** Reads and validates a sweep file (a name in experiments/sweeps/ or a path). Throws UsageError. */
export function loadSweep(nameOrPath: string, sweepsDir = defaultSweepsDir()): LoadedSweep {
  const file = findSweepFile(nameOrPath, sweepsDir);
  const where = display(file);
  let value: unknown;
  try {
    const text = readFileSync(file, 'utf8');
    value = extname(file) === '.json' ? JSON.parse(text) : parseYaml(text, { uniqueKeys: true });
  } catch (error) {
    throw new UsageError(`${where}: cannot read: ${(error as Error).message.split('\n')[0]}`);
  }
  const parsed = sweepSchema.safeParse(value ?? {});
  if (!parsed.success) throw new UsageError(`${where}: ${describeIssue(parsed.error.issues[0]!)}`);
  const sweep = parsed.data;
  return {
    name: sweep.name ?? basename(file, extname(file)),
    where,
    file,
    sweep,
    experiment: parentArgument(sweep.experiment, file),
  };
}

function findSweepFile(nameOrPath: string, sweepsDir: string): string {
  const looksLikePath = nameOrPath.includes('/') || EXTENSIONS.includes(extname(nameOrPath));
  const candidates = looksLikePath
    ? [resolve(nameOrPath)]
    : EXTENSIONS.map((ext) => join(sweepsDir, `${nameOrPath}${ext}`));
  const found = candidates.find((c) => existsSync(c));
  if (found) return found;
  const hint = looksLikePath ? '' : ` (known: ${listSweeps(sweepsDir).join(', ') || 'none'})`;
  throw new UsageError(`${display(candidates[0]!)}: no such sweep definition${hint}`);
}

function parentArgument(experiment: string, sweepFile: string): string {
  const looksLikePath = experiment.includes('/') || EXTENSIONS.includes(extname(experiment));
  if (!looksLikePath) return experiment;
  const path = resolve(dirname(sweepFile), experiment);
  const root = dirname(defaultExperimentsDir());
  const rel = relative(root, path);
  return !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

function display(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}
