import type { LoadedRun } from '../../store/load-runs.ts';
import type { ReportContext } from '../context.ts';
import { identitiesOf } from '../identity.ts';
import { chartPoints, phaseMarks, type CurveRun } from './curve-points.ts';
import { lineChartSpec, xModes } from './line-chart.ts';
import { METRIC_GROUPS } from './metric-groups.ts';

/** What the browser needs to draw one curve chart: the spec, the raw points and the x encodings. */
export interface CurveChart {
  id: string;
  title: string;
  /** The series keys shown (`validation/epoch_accuracy`), matched by the tag filter. */
  tags: string;
  notes: string[];
  payload: Record<string, unknown>;
}

/** Dates on a wall-time axis only when the runs span more than a day. */
function wallFormat(runs: CurveRun[]): string {
  const starts = runs.map((r) => Date.parse(r.record.startTime ?? '')).filter(Number.isFinite);
  const span = starts.length ? Math.max(...starts) - Math.min(...starts) : 0;
  return span > 20 * 3600_000 ? '%m-%d %H:%M' : '%H:%M';
}

/** One chart per metric group that has data: colour by run (compare, or by group) or by split (one run). */
export function curveCharts(
  ctx: ReportContext,
  runs: LoadedRun[],
  colorBy: 'name' | 'split',
  groupOf: (id: string) => { key: string; label: string } = (id) => ({ key: id, label: id }),
): CurveChart[] {
  const ids = identitiesOf(ctx.store);
  const curveRuns: CurveRun[] = runs.map((r) => ({
    id: r.summary.id,
    name: ids.get(r.summary.id)?.name ?? r.summary.id,
    color: ids.get(r.summary.id)?.color ?? '#888',
    group: groupOf(r.summary.id).label,
    record: r.record,
    events: r.events,
  }));
  const phases = phaseMarks(curveRuns);
  const groups = [...new Set(curveRuns.map((r) => r.group))];
  const charts: CurveChart[] = [];
  for (const group of METRIC_GROUPS) {
    const { points, notes } = chartPoints(curveRuns, group);
    if (points.length === 0) continue;
    const splits = [...new Set(points.map((p) => p.split))];
    const common = { title: group.title, yTitle: group.yTitle, yFormat: group.yFormat, per: group.per, splits };
    const byRun =
      colorBy === 'split'
        ? { colorBy: 'split' as const, domain: splits }
        : { colorBy: 'name' as const, domain: curveRuns.map((r) => r.name), range: curveRuns.map((r) => r.color) };
    charts.push({
      id: group.id,
      title: group.title,
      tags: group.keys.map((k) => k.key).join(' '),
      notes,
      payload: {
        id: group.id,
        spec: lineChartSpec({ ...common, ...byRun }),
        groupSpec: colorBy === 'name' ? lineChartSpec({ ...common, colorBy: 'group', domain: groups }) : null,
        xModes: xModes(group.per, wallFormat(curveRuns)),
        points,
        phases,
        fewPoints: points.length <= 40,
      },
    });
  }
  return charts;
}
