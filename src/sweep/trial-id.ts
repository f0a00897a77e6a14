import { createHash } from 'node:crypto';
import type { ExperimentDefinition } from '../experiment/definition.ts';

/** JSON with every object's keys sorted, so equal values always serialise to the same text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** What is trained: the definition without its labels (description, notes, tags), which change no result. */
function trainedPart(def: ExperimentDefinition): Omit<ExperimentDefinition, 'description' | 'notes' | 'tags'> {
  const { description: _d, notes: _n, tags: _t, ...rest } = def;
  return rest;
}

const digest = (value: unknown): string => createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 12);

/** A trial's id: the hash of its experiment and resolved definition; the same configuration always gets the same id. */
export function trialId(experiment: string, def: ExperimentDefinition): string {
  return digest({ experiment, definition: trainedPart(def) });
}

/** The id shared by runs that differ only by seed (the seed repeats of one configuration). */
export function groupId(experiment: string, def: ExperimentDefinition): string {
  const { seed: _s, ...rest } = trainedPart(def);
  return digest({ experiment, definition: rest });
}
