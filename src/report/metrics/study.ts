import { chargedCost, type ChargedCost } from './charged-cost.ts';
import { exclusionReason, measureTitle, qualityOf, viewMeasure, type QualityMeasure } from './eligibility.ts';
import { groupRuns, type GroupBy } from './groups.ts';
import type { MeasuredRun } from './measured-run.ts';
import { paretoFront } from './pareto.ts';
import { spreadOf, type Spread } from './stats.ts';

/** The study's cost axis: estimated training FLOPs, or device seconds (both charged in full). */
export type StudyCost = 'flops' | 'seconds';

export interface StudyRun {
  id: string;
  groupKey: string;
  quality: number | null;
  cost: number | null;
  charged: ChargedCost;
  excluded: string | null;
}

export interface StudyGroup {
  key: string;
  label: string;
  base: string;
  freezing: string;
  inputSize: number | null;
  runs: StudyRun[];
  /** Over the members that may be rated (all members when none may). */
  quality: Spread | null;
  cost: Spread | null;
  excluded: string | null;
  pareto: boolean;
  rank: number | null;
}

export interface Study {
  measure: QualityMeasure;
  measureTitle: string;
  cost: StudyCost;
  groups: StudyGroup[];
  /** Front groups by increasing cost, with the budget from which each is the best choice. */
  front: { key: string; fromCost: number }[];
}

type Pooled = Pick<MeasuredRun, 'summary' | 'record'>;

function studyRun(run: MeasuredRun, key: string, measure: QualityMeasure, cost: StudyCost, pool: readonly Pooled[]) {
  const charged = chargedCost(run, pool);
  const quality = qualityOf(run.summary, measure);
  const c = cost === 'flops' ? charged.flops : charged.seconds;
  return { id: run.summary.id, groupKey: key, quality, cost: c, charged, excluded: exclusionReason(run, quality, c) };
}

/** The reasons of a group none of whose runs may be rated, said once each. */
function groupExclusion(runs: StudyRun[]): string | null {
  if (runs.some((r) => r.excluded === null)) return null;
  return [...new Set(runs.map((r) => r.excluded))].join('; ');
}

function studyGroup(
  g: ReturnType<typeof groupRuns<MeasuredRun>>[number],
  runs: StudyRun[],
): Omit<StudyGroup, 'pareto' | 'rank'> {
  const rated = runs.filter((r) => r.excluded === null);
  const basis = rated.length > 0 ? rated : runs;
  const first = g.members[0].summary;
  return {
    key: g.key,
    label: g.label,
    base: first.baseModel ?? 'unknown base',
    freezing: first.freezing ?? 'unknown freezing',
    inputSize: first.inputSize,
    runs,
    quality: spreadOf(basis.map((r) => r.quality)),
    cost: spreadOf(basis.map((r) => r.cost)),
    excluded: groupExclusion(runs),
  };
}

/**
 * Runs grouped (by base × freezing × input size unless told otherwise), each group rated by the mean
 * of its ratable runs, and the Pareto front of lower cost / higher quality through the groups.
 */
export function buildStudy(runs: readonly MeasuredRun[], by: GroupBy, cost: StudyCost, pool: readonly Pooled[]): Study {
  const measure = viewMeasure(runs.map((r) => r.summary));
  const partial = groupRuns(runs, by).map((g) =>
    studyGroup(
      g,
      g.members.map((m) => studyRun(m, g.key, measure, cost, pool)),
    ),
  );
  const candidates = partial.filter((g) => g.excluded === null && g.quality && g.cost);
  const onFront = paretoFront(candidates.map((g) => ({ id: g.key, cost: g.cost!.mean, quality: g.quality!.mean })));
  const ranked = [...candidates].sort((a, b) => b.quality!.mean - a.quality!.mean);
  const groups = partial.map((g) => {
    const rank = ranked.indexOf(g);
    return { ...g, pareto: onFront.has(g.key), rank: rank >= 0 ? rank + 1 : null };
  });
  const front = groups
    .filter((g) => g.pareto)
    .sort((a, b) => a.cost!.mean - b.cost!.mean)
    .map((g) => ({ key: g.key, fromCost: g.cost!.mean }));
  return { measure, measureTitle: measureTitle(measure), cost, groups, front };
}
