import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { definitionSchema, type ExperimentDefinition } from './definition.ts';
import { UsageError } from './usage-error.ts';

export const defaultExperimentsDir = (): string =>
  resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'experiments');

const EXTENSIONS = ['.yaml', '.yml', '.json'];

export interface LoadedDefinition {
  /** The experiment's name: the definition file's base name (or `inline`). */
  experiment: string;
  /** The file it came from (absolute), or null for an inline definition. */
  file: string | null;
  definition: ExperimentDefinition;
}

interface LoadOptions {
  experimentsDir?: string;
  /** `key=value` strings as given to `--set`, applied in order after `extends` is merged. */
  overrides?: string[];
}

/** Finds `name` (a bare experiment name in experimentsDir, or a path to a .yaml/.yml/.json file). */
function findDefinitionFile(nameOrPath: string, experimentsDir = defaultExperimentsDir()): string {
  const looksLikePath =
    nameOrPath.includes('/') || nameOrPath.includes('\\') || EXTENSIONS.includes(extname(nameOrPath));
  const candidates = looksLikePath
    ? [resolve(nameOrPath)]
    : EXTENSIONS.map((ext) => join(experimentsDir, `${nameOrPath}${ext}`));
  const found = candidates.find((c) => existsSync(c));
  if (!found) {
    const known = listExperiments(experimentsDir);
    const hint = looksLikePath ? '' : ` (known: ${known.join(', ') || 'none'})`;
    throw new UsageError(`${display(candidates[0]!)}: no such experiment definition${hint}`);
  }
  return found;
}

export function listExperiments(experimentsDir = defaultExperimentsDir()): string[] {
  if (!existsSync(experimentsDir)) return [];
  const names = readdirSync(experimentsDir)
    .filter((f) => EXTENSIONS.includes(extname(f)))
    .map((f) => basename(f, extname(f)));
  return [...new Set(names)].sort();
}

/** Loads, merges (`extends`), overrides and validates a definition. Throws UsageError. */
export function loadDefinition(nameOrPath: string, options: LoadOptions = {}): LoadedDefinition {
  const file = findDefinitionFile(nameOrPath, options.experimentsDir);
  const raw = readMerged(file, []);
  const experiment = basename(file, extname(file));
  return finish(raw, display(file), experiment, file, options.overrides ?? []);
}

/** Validates an in-memory definition (for the programmatic API); `extends` names a file in experimentsDir. */
export function resolveInlineDefinition(
  value: unknown,
  options: LoadOptions & { experiment?: string } = {},
): LoadedDefinition {
  const where = 'inline definition';
  if (!isPlainObject(value)) throw new UsageError(`${where}: must be a mapping of keys to values`);
  let raw: Record<string, unknown> = { ...value };
  if (typeof raw.extends === 'string') {
    const parentFile = findDefinitionFile(raw.extends, options.experimentsDir);
    const { extends: _drop, ...rest } = raw;
    raw = deepMerge(readMerged(parentFile, []), rest);
  }
  return finish(raw, where, options.experiment ?? 'inline', null, options.overrides ?? []);
}

function finish(
  raw: Record<string, unknown>,
  where: string,
  experiment: string,
  file: string | null,
  overrides: string[],
): LoadedDefinition {
  const first = validate(raw, where);
  let merged = raw;
  for (const override of overrides) merged = applyOverride(merged, override, where);
  const definition =
    overrides.length > 0 ? validate(merged, `${where} with --set ${overrides.join(' --set ')}`) : first;
  return { experiment, file, definition };
}

function validate(raw: Record<string, unknown>, where: string): ExperimentDefinition {
  const result = definitionSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new UsageError(`${where}: ${describeIssue(result.error.issues[0]!)}`);
}

export function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => (path ? `${path}.${k}` : k));
    return `${keys.join(', ')}: unknown key${keys.length > 1 ? 's' : ''}`;
  }
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) {
    return `${path}: required`;
  }
  return `${path || '(top level)'}: ${issue.message}`;
}

function readMerged(file: string, chain: string[]): Record<string, unknown> {
  if (chain.includes(file)) {
    throw new UsageError(`${display(file)}: extends: cycle ${[...chain, file].map((f) => basename(f)).join(' → ')}`);
  }
  const raw = readDefinitionFile(file);
  const parentName = raw.extends;
  const { extends: _drop, ...own } = raw;
  if (parentName === undefined) return own;
  if (typeof parentName !== 'string' || parentName.length === 0) {
    throw new UsageError(`${display(file)}: extends: must be the name of another experiment`);
  }
  let parentFile: string;
  try {
    const near = isAbsolute(parentName) || parentName.includes('/') ? resolve(dirname(file), parentName) : parentName;
    parentFile = findDefinitionFile(near, dirname(file));
  } catch (error) {
    throw new UsageError(`${display(file)}: extends: ${parentName}: no such experiment definition`);
  }
  return deepMerge(readMerged(parentFile, [...chain, file]), own);
}

function readDefinitionFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`${display(file)}: cannot read: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = extname(file) === '.json' ? JSON.parse(text) : parseYaml(text, { uniqueKeys: true });
  } catch (error) {
    const message = (error as Error).message.split('\n')[0]!;
    throw new UsageError(`${display(file)}: not valid ${extname(file) === '.json' ? 'JSON' : 'YAML'}: ${message}`);
  }
  if (!isPlainObject(value)) throw new UsageError(`${display(file)}: must be a mapping of keys to values`);
  return value;
}

/** Objects merge key by key; arrays and scalars from `over` replace those in `base`. */
function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}

/** Applies one `key=value` override; the value is typed by the schema at that key. */
function applyOverride(raw: Record<string, unknown>, override: string, where: string): Record<string, unknown> {
  const eq = override.indexOf('=');
  if (eq <= 0) throw new UsageError(`${where}: --set ${override}: expected key=value, e.g. --set train.epochs=1`);
  const key = override.slice(0, eq).trim();
  const text = override.slice(eq + 1).trim();
  const path = key.split('.');
  if (path.some((p) => p.length === 0))
    throw new UsageError(`${where}: --set ${override}: empty key segment in ${key}`);
  const kind = schemaKindAt(definitionSchema, path);
  if (kind === null) throw new UsageError(`${where}: --set ${key}: unknown key`);
  const value = typedValue(text, kind, `${where}: --set ${key}`);
  return setAtPath(raw, path, value);
}

type Kind = 'string' | 'number' | 'boolean' | 'structured';

/** What a key holds, following the schema; null when the key does not exist. */
function schemaKindAt(schema: z.ZodType, path: string[]): Kind | null {
  let current: z.ZodType | null = unwrap(schema);
  for (const segment of path) {
    if (current === null) return null;
    const def = (
      current as unknown as { _zod: { def: { type: string; shape?: Record<string, z.ZodType>; element?: z.ZodType } } }
    )._zod.def;
    if (def.type === 'object' && def.shape) {
      const next = def.shape[segment];
      if (!next) return null;
      current = unwrap(next);
    } else if (def.type === 'array' && /^\d+$/.test(segment) && def.element) {
      current = unwrap(def.element);
    } else if (def.type === 'union') {
      // e.g. freeze: {last: N} — look for the key among the object options.
      const options = (def as unknown as { options: z.ZodType[] }).options;
      const found = options
        .map((o) => unwrap(o))
        .find((o) => {
          const od = (o as unknown as { _zod: { def: { type: string; shape?: Record<string, z.ZodType> } } })._zod.def;
          return od.type === 'object' && od.shape?.[segment];
        });
      if (!found) return null;
      current = unwrap(
        (found as unknown as { _zod: { def: { shape: Record<string, z.ZodType> } } })._zod.def.shape[segment]!,
      );
    } else {
      return null;
    }
  }
  return current ? kindOf(current) : null;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema as unknown as { _zod: { def: { type: string; innerType?: z.ZodType; in?: z.ZodType } } };
  for (;;) {
    const def = s._zod.def;
    if (
      (def.type === 'optional' || def.type === 'default' || def.type === 'nullable' || def.type === 'prefault') &&
      def.innerType
    ) {
      s = def.innerType as unknown as typeof s;
    } else if (def.type === 'pipe' && def.in) {
      s = def.in as unknown as typeof s;
    } else {
      return s as unknown as z.ZodType;
    }
  }
}

function kindOf(schema: z.ZodType): Kind {
  const type = (schema as unknown as { _zod: { def: { type: string } } })._zod.def.type;
  if (type === 'string' || type === 'enum' || type === 'literal') return 'string';
  if (type === 'number') return 'number';
  if (type === 'boolean') return 'boolean';
  return 'structured';
}

function typedValue(text: string, kind: Kind, where: string): unknown {
  switch (kind) {
    case 'string':
      return text;
    case 'number': {
      const n = Number(text);
      if (text === '' || !Number.isFinite(n)) throw new UsageError(`${where}: expected a number, got "${text}"`);
      return n;
    }
    case 'boolean':
      if (text === 'true') return true;
      if (text === 'false') return false;
      throw new UsageError(`${where}: expected true or false, got "${text}"`);
    case 'structured':
      try {
        return parseYaml(text);
      } catch (error) {
        throw new UsageError(`${where}: cannot parse "${text}": ${(error as Error).message.split('\n')[0]}`);
      }
  }
}

function setAtPath(raw: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
  const [head, ...rest] = path as [string, ...string[]];
  if (rest.length === 0) return { ...raw, [head]: value };
  const child = raw[head];
  if (Array.isArray(child)) {
    const index = Number(rest[0]);
    const copy = [...child];
    copy[index] =
      rest.length === 1 ? value : setAtPath(isPlainObject(copy[index]) ? copy[index] : {}, rest.slice(1), value);
    return { ...raw, [head]: copy };
  }
  return { ...raw, [head]: setAtPath(isPlainObject(child) ? child : {}, rest, value) };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Paths in messages: relative to the working directory when inside it. */
function display(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}
