// The tags that tie a run to its sweep (`sweep:<name>`, `trial:<id>`, `group:<id>`): written by the
// sweep executors into run.json `tags`, read back by the sweep (what has run) and by the report
// (the sweep page); this file is the one place their spelling lives.

const SWEEP = 'sweep:';
const TRIAL = 'trial:';
const GROUP = 'group:';

export const sweepTag = (sweep: string): string => `${SWEEP}${sweep}`;
export const trialTag = (trialId: string): string => `${TRIAL}${trialId}`;
export const groupTag = (groupId: string): string => `${GROUP}${groupId}`;

/** A run's place in a sweep, from its tags; null for a run no sweep started. */
export interface SweepMembership {
  sweep: string;
  trial: string;
  /** null for a run tagged before groups were (it then forms a group of its own). */
  group: string | null;
}

const valueOf = (tags: readonly string[], prefix: string): string | null => {
  const tag = tags.find((t) => t.startsWith(prefix) && t.length > prefix.length);
  return tag === undefined ? null : tag.slice(prefix.length);
};

export function sweepMembership(tags: readonly string[]): SweepMembership | null {
  const sweep = valueOf(tags, SWEEP);
  const trial = valueOf(tags, TRIAL);
  if (sweep === null || trial === null) return null;
  return { sweep, trial, group: valueOf(tags, GROUP) };
}

/** The trial id of a run's tags, or null. */
export const trialOfTags = (tags: readonly string[]): string | null => valueOf(tags, TRIAL);
