import type { CostQualityRow } from '../metrics/cost-quality.ts';
import type { DiffView } from '../metrics/definition-diff.ts';
import { aggregateGroup, groupRuns, type GroupAggregate, type GroupBy } from '../metrics/groups.ts';
import type { Spread } from '../metrics/stats.ts';
import type { RunSummary } from '../metrics/run-summary.ts';
import type { RunStore } from '../store/run-store.ts';
import { columnsOf, toCsv, type Column } from './csv.ts';

const RUN_KEYS = [
  'id',
  'experiment',
  'name',
  'status',
  'stale',
  'deadReason',
  'progress',
  'error',
  'tags',
  'baseModel',
  'freezing',
  'inputSize',
  'epochsPlanned',
  'epochsCompleted',
  'bestValAccuracy',
  'bestEpoch',
  'finalValAccuracy',
  'finalTestAccuracy',
  'wallSeconds',
  'imagesPerSecond',
  'trainableParams',
  'totalParams',
  'macsPerImage',
  'flops',
  'deviceSeconds',
  'quality',
  'qualitySource',
  'accuracyPerPflop',
  'accuracyPerDeviceHour',
  'startTime',
  'endTime',
  'backend',
] as const satisfies readonly (keyof RunSummary)[];

const RUN_COLUMNS: Column<RunSummary>[] = columnsOf<RunSummary>(RUN_KEYS);

const COMPARE_COLUMNS: Column<CostQualityRow>[] = columnsOf<CostQualityRow>([
  'id',
  'experiment',
  'name',
  'status',
  'bestValAccuracy',
  'bestEpoch',
  'finalValAccuracy',
  'finalTestAccuracy',
  'quality',
  'qualitySource',
  'threshold',
  'epochToThreshold',
  'secondsToThreshold',
  'flopsToThreshold',
  'deviceHours',
  'pflops',
  'accuracyPerDeviceHour',
  'accuracyPerPflop',
  'deviceSeconds',
  'cacheHit',
  'costNote',
  'pareto',
  'excluded',
]);

const SPREADS = ['bestValAccuracy', 'finalValAccuracy', 'finalTestAccuracy', 'flops', 'deviceSeconds'] as const;

/** Groups as CSV: one row per group, mean / std / min / max / n of each measure. */
export function groupsCsv(groups: readonly GroupAggregate[]): string {
  const stat = (k: (typeof SPREADS)[number], f: keyof Spread): Column<GroupAggregate> => ({
    key: `${k}_${f}`,
    value: (g) => g[k]?.[f] ?? null,
  });
  const columns: Column<GroupAggregate>[] = [
    { key: 'group', value: (g) => g.label },
    { key: 'n', value: (g) => g.n },
    ...SPREADS.flatMap((k) => (['mean', 'std', 'min', 'max', 'n'] as const).map((f) => stat(k, f))),
    { key: 'runs', value: (g) => g.ids.join(' ') },
  ];
  return toCsv(groups, columns);
}

/** The runs table as CSV: one row per run. */
export function runsCsv(summaries: readonly RunSummary[]): string {
  return toCsv(summaries, RUN_COLUMNS);
}

/** The runs table as JSON: one object per run with the CSV's fields plus the run.json warnings. */
export function runsJson(summaries: readonly RunSummary[]) {
  const fields = (s: RunSummary) => Object.fromEntries(RUN_KEYS.map((k) => [k, s[k]]));
  return { runs: summaries.map((s) => ({ ...fields(s), warnings: s.warnings })) };
}

/** The cost/quality table of a comparison as CSV. */
export function compareCsv(rows: readonly CostQualityRow[]): string {
  return toCsv(rows, COMPARE_COLUMNS);
}

/** The definition diff as CSV: one row per differing key, one column per run. */
export function diffCsv(diff: DiffView): string {
  const columns: Column<{ key: string; cells: string[] }>[] = [
    { key: 'key', value: (r) => r.key },
    ...diff.headers.map((h, i) => ({ key: h, value: (r: { cells: string[] }) => r.cells[i] })),
  ];
  return toCsv(diff.rows, columns);
}

/** The groups of a store's runs (or of the given summaries) with their spreads, as the exports write them. */
export function groupsOf(store: RunStore, by: GroupBy, summaries: readonly RunSummary[] = store.summaries()) {
  const runs = summaries.map((s) => ({ summary: s, record: store.record(s.id) ?? {} }));
  return groupRuns(runs, by).map(aggregateGroup);
}
