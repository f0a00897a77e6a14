// A sweep as the log directory records it: its trials (runs tagged `sweep:<name>`), grouped by the
// group id (the seed repeats of one configuration), each group's mean ± std over its seeds, the
// best group, and Welch's t-test of the best group against each other one, so that a difference
// smaller than the seed noise is not read as a finding.
import type { LenientRunRecord as RunRecord } from '../../run/record.ts';
import { sweepMembership } from '../../run/sweep-tags.ts';
import { flatten } from './definition-diff.ts';
import type { RunSummary } from './run-summary.ts';
import { mean, sampleVariance, welchTTest, type WelchResult } from './welch.ts';

export interface SweepRun {
  summary: RunSummary;
  record: RunRecord;
}

/** The accuracy groups are ranked and tested by: test accuracy when every finished trial has one. */
export type SweepMetric = 'finalTestAccuracy' | 'bestValAccuracy';

export const SWEEP_METRIC_LABELS: Record<SweepMetric, string> = {
  finalTestAccuracy: 'test accuracy',
  bestValAccuracy: 'best validation accuracy',
};

/** The significance level of the comparisons (two-sided), before Holm's correction. */
export const SWEEP_ALPHA = 0.05;

export interface Spread {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1); null for a single value. */
  std: number | null;
  min: number;
  max: number;
}

export interface SweepTrial {
  trial: string;
  group: string;
  /** The run shown for the trial: its successful run, else its latest. */
  runId: string;
  /** Other runs of the same trial (a trial run twice by hand or in a race). */
  otherRuns: string[];
  experiment: string;
  seed: number | null;
  status: RunSummary['status'];
  stale: boolean;
  /** The values of the keys that vary across the sweep (`varying`). */
  hparams: Record<string, unknown>;
  bestValAccuracy: number | null;
  finalValAccuracy: number | null;
  finalTestAccuracy: number | null;
  flops: number | null;
  deviceSeconds: number | null;
  /** This trial's value of the sweep's metric; only successful trials count in their group. */
  value: number | null;
  counted: boolean;
}

export interface SweepGroup {
  group: string;
  hparams: Record<string, unknown>;
  trials: SweepTrial[];
  /** The spread over the group's successful trials (null when none has the value). */
  metric: Spread | null;
  bestValAccuracy: Spread | null;
  finalValAccuracy: Spread | null;
  finalTestAccuracy: Spread | null;
  flops: Spread | null;
}

export interface GroupComparison {
  /** The group compared with the best one. */
  group: string;
  /** best − this group; null when the test is undefined (fewer than two seeds on a side, or no spread at all). */
  welch: WelchResult | null;
  /** Whether the best group's lead is larger than the seed noise: p below α after Holm's correction. */
  significant: boolean;
  /** Why there is no test. */
  reason: string | null;
}

export interface SweepSummary {
  name: string;
  experiments: string[];
  metric: SweepMetric;
  /** Definition keys whose values differ between trials (besides the seed), sorted. */
  varying: string[];
  trials: SweepTrial[];
  /** Best mean first; groups without a value last. */
  groups: SweepGroup[];
  best: string | null;
  comparisons: GroupComparison[];
  alpha: number;
}

/** Labels and the seed: what is not a hyperparameter of the configuration. */
const NOT_HPARAMS = /^(seed|description|notes|tags)(\.|$)/;

export function spreadOf(values: readonly (number | null)[]): Spread | null {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (xs.length === 0) return null;
  const variance = sampleVariance(xs);
  return {
    n: xs.length,
    mean: mean(xs),
    std: Number.isNaN(variance) ? null : Math.sqrt(variance),
    min: Math.min(...xs),
    max: Math.max(...xs),
  };
}

/** The run that stands for a trial: its successful one, else the one started last. */
function chosenRun(runs: SweepRun[]): SweepRun {
  const success = runs.filter((r) => r.summary.status === 'success');
  const pool = success.length > 0 ? success : runs;
  return [...pool].sort((a, b) => (b.summary.startTime ?? '').localeCompare(a.summary.startTime ?? ''))[0]!;
}

function hparamsOf(record: RunRecord): Record<string, unknown> {
  const flat = flatten(record.definition ?? {});
  return Object.fromEntries(Object.entries(flat).filter(([key]) => !NOT_HPARAMS.test(key)));
}

function varyingKeys(flats: Record<string, unknown>[]): string[] {
  const keys = [...new Set(flats.flatMap((f) => Object.keys(f)))].sort();
  const shown = (v: unknown) => (v === undefined ? '\u0000missing' : JSON.stringify(v));
  return keys.filter((key) => new Set(flats.map((f) => shown(f[key]))).size > 1);
}

function trialsOf(byTrial: Map<string, SweepRun[]>) {
  const chosen = [...byTrial].map(([trial, runs]) => ({ trial, runs, run: chosenRun(runs) }));
  const flats = chosen.map((c) => hparamsOf(c.run.record));
  const varying = varyingKeys(flats);
  const allTested = chosen.every((c) => c.run.summary.status !== 'success' || c.run.summary.finalTestAccuracy !== null);
  const metric: SweepMetric = allTested ? 'finalTestAccuracy' : 'bestValAccuracy';
  const trials = chosen.map(({ trial, runs, run }, i): SweepTrial => {
    const s = run.summary;
    const value = s[metric];
    return {
      trial,
      group: sweepMembership(s.tags)?.group ?? trial,
      runId: s.id,
      otherRuns: runs.filter((r) => r !== run).map((r) => r.summary.id),
      experiment: s.experiment,
      seed: typeof run.record.seed === 'number' ? run.record.seed : null,
      status: s.status,
      stale: s.stale,
      hparams: Object.fromEntries(varying.map((k) => [k, flats[i]![k]])),
      bestValAccuracy: s.bestValAccuracy,
      finalValAccuracy: s.finalValAccuracy,
      finalTestAccuracy: s.finalTestAccuracy,
      flops: s.flops,
      deviceSeconds: s.deviceSeconds,
      value,
      counted: s.status === 'success' && value !== null,
    };
  });
  return { trials, varying, metric };
}

function groupsOf(trials: SweepTrial[]): SweepGroup[] {
  const byGroup = new Map<string, SweepTrial[]>();
  for (const t of trials) byGroup.set(t.group, [...(byGroup.get(t.group) ?? []), t]);
  const groups = [...byGroup].map(([group, members]): SweepGroup => {
    const counted = members.filter((t) => t.counted);
    const over = (pick: (t: SweepTrial) => number | null) => spreadOf(counted.map(pick));
    return {
      group,
      hparams: members[0]!.hparams,
      trials: [...members].sort((a, b) => (a.seed ?? 0) - (b.seed ?? 0) || a.trial.localeCompare(b.trial)),
      metric: over((t) => t.value),
      bestValAccuracy: over((t) => t.bestValAccuracy),
      finalValAccuracy: over((t) => t.finalValAccuracy),
      finalTestAccuracy: over((t) => t.finalTestAccuracy),
      flops: over((t) => t.flops),
    };
  });
  const rank = (g: SweepGroup) => g.metric?.mean ?? -Infinity;
  return groups.sort(
    (a, b) => rank(b) - rank(a) || (b.metric?.n ?? 0) - (a.metric?.n ?? 0) || a.group.localeCompare(b.group),
  );
}

/**
 * Welch's t of the best group's seeds against each other group's, two-sided; a lead counts as
 * larger than the seed noise when it survives Holm's step-down correction over all comparisons.
 */
export function compareWithBest(best: SweepGroup, others: readonly SweepGroup[], alpha = SWEEP_ALPHA) {
  const values = (g: SweepGroup) => g.trials.filter((t) => t.counted).map((t) => t.value!);
  const comparisons: GroupComparison[] = others.map((g) => {
    const a = values(best);
    const b = values(g);
    const welch = welchTTest(a, b);
    const reason =
      welch !== null
        ? null
        : a.length < 2 || b.length < 2
          ? 'fewer than two finished seeds'
          : 'no spread between the seeds of either group';
    return { group: g.group, welch, significant: false, reason };
  });
  const tested = comparisons.filter((c) => c.welch !== null).sort((x, y) => x.welch!.p - y.welch!.p);
  for (let i = 0; i < tested.length; i++) {
    if (tested[i]!.welch!.p > alpha / (tested.length - i)) break;
    tested[i]!.significant = true;
  }
  return comparisons;
}

/** The sweep `name` among `runs` (any runs: those without its tag are left out); null when none has it. */
export function summarizeSweep(name: string, runs: readonly SweepRun[]): SweepSummary | null {
  const byTrial = new Map<string, SweepRun[]>();
  for (const run of runs) {
    const member = sweepMembership(run.summary.tags);
    if (member?.sweep !== name) continue;
    byTrial.set(member.trial, [...(byTrial.get(member.trial) ?? []), run]);
  }
  if (byTrial.size === 0) return null;
  const { trials, varying, metric } = trialsOf(byTrial);
  const groups = groupsOf(trials);
  const best = groups[0]?.metric ? groups[0] : null;
  return {
    name,
    experiments: [...new Set(trials.map((t) => t.experiment))].sort(),
    metric,
    varying,
    trials,
    groups,
    best: best?.group ?? null,
    comparisons: best ? compareWithBest(best, groups.slice(1)) : [],
    alpha: SWEEP_ALPHA,
  };
}

/** The sweeps that have runs in the log directory, by name. */
export function sweepNames(summaries: readonly RunSummary[]): string[] {
  const names = new Set<string>();
  for (const s of summaries) {
    const member = sweepMembership(s.tags);
    if (member) names.add(member.sweep);
  }
  return [...names].sort();
}
