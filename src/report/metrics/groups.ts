import { flatten } from './definition-diff.ts';
import type { MeasuredRun } from './measured-run.ts';
import { spreadOf, type Spread } from './stats.ts';

/**
 * How runs form groups: by chosen definition keys (the study's base × freezing × input size by
 * default), by everything but the seed (repeats of one configuration), or not at all.
 */
export type GroupBy = { kind: 'keys'; keys: string[] } | { kind: 'seed' } | { kind: 'none' };

export const STUDY_KEYS = ['model.base', 'model.alpha', 'model.freeze', 'model.inputSize'];
export const DEFAULT_GROUP_BY: GroupBy = { kind: 'keys', keys: STUDY_KEYS };

/** Keys that describe a run rather than define it; "differ only by seed" ignores them too. */
const NOT_DEFINING = /^(seed|description|notes|name|tags)(\.|$)/;

/** `study` (default), `seed`, `none`, or a comma-separated list of dotted definition keys. */
export function parseGroupBy(value: unknown): GroupBy {
  if (value === 'seed') return { kind: 'seed' };
  if (value === 'none') return { kind: 'none' };
  if (typeof value === 'string' && value !== 'study' && value.trim() !== '') {
    const keys = value
      .split(',')
      .map((k) => k.trim())
      .filter((k) => /^[\w.-]{1,100}$/.test(k));
    if (keys.length > 0) return { kind: 'keys', keys: keys.slice(0, 10) };
  }
  return DEFAULT_GROUP_BY;
}

export function groupByParam(by: GroupBy): string {
  if (by.kind !== 'keys') return by.kind;
  return by.keys.join(',') === STUDY_KEYS.join(',') ? 'study' : by.keys.join(',');
}

function definingValues(run: MeasuredRun, by: GroupBy): Record<string, unknown> {
  const flat = flatten(run.record.definition ?? {});
  if (by.kind === 'none') return { run: run.summary.id };
  if (by.kind === 'seed') return Object.fromEntries(Object.entries(flat).filter(([k]) => !NOT_DEFINING.test(k)));
  // A key names a value or a subtree (`model.freeze` is "all" or { last: 20 }).
  const chosen = Object.keys(flat).filter((f) => by.keys.some((k) => f === k || f.startsWith(`${k}.`)));
  return Object.fromEntries(chosen.map((k) => [k, flat[k]]));
}

export interface RunGroup<T extends MeasuredRun = MeasuredRun> {
  /** Stable within a logdir: the defining values as canonical JSON. */
  key: string;
  /** The defining values that differ between the groups (all of them when there is one group). */
  label: string;
  values: Record<string, unknown>;
  members: T[];
}

const shown = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** The groups of `runs` in order of first appearance; labels name only what tells groups apart. */
export function groupRuns<T extends MeasuredRun>(runs: readonly T[], by: GroupBy): RunGroup<T>[] {
  const groups = new Map<string, RunGroup<T>>();
  for (const run of runs) {
    const values = definingValues(run, by);
    const key = JSON.stringify(
      Object.keys(values)
        .sort()
        .map((k) => [k, values[k]]),
    );
    const group = groups.get(key) ?? { key, label: '', values, members: [] };
    group.members.push(run);
    groups.set(key, group);
  }
  const list = [...groups.values()];
  const keys = [...new Set(list.flatMap((g) => Object.keys(g.values)))].sort();
  const differing = keys.filter((k) => new Set(list.map((g) => shown(g.values[k]))).size > 1);
  for (const g of list) {
    if (by.kind === 'none') g.label = g.members[0].summary.id;
    else {
      const named = (differing.length > 0 ? differing : keys).filter((k) => k in g.values);
      g.label = named.map((k) => `${k.replace(/^model\./, '')}=${shown(g.values[k])}`).join(' · ') || 'all runs';
    }
  }
  return list;
}

/** What a group's runs reached and spent, each as a spread over its members. */
export interface GroupAggregate {
  key: string;
  label: string;
  n: number;
  ids: string[];
  bestValAccuracy: Spread | null;
  finalValAccuracy: Spread | null;
  finalTestAccuracy: Spread | null;
  flops: Spread | null;
  deviceSeconds: Spread | null;
}

export function aggregateGroup(group: RunGroup): GroupAggregate {
  const of = (pick: (s: MeasuredRun['summary']) => number | null) =>
    spreadOf(group.members.map((m) => pick(m.summary)));
  return {
    key: group.key,
    label: group.label,
    n: group.members.length,
    ids: group.members.map((m) => m.summary.id),
    bestValAccuracy: of((s) => s.bestValAccuracy),
    finalValAccuracy: of((s) => s.finalValAccuracy),
    finalTestAccuracy: of((s) => s.finalTestAccuracy),
    flops: of((s) => s.flops),
    deviceSeconds: of((s) => s.deviceSeconds),
  };
}
