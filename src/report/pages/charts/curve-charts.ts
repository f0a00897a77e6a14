import type { LoadedRun } from '../../store/load-runs.ts';
import type { CompareOptions, ReportContext } from '../context.ts';
import { shortLabels } from '../labels.ts';
import { groupPoints, type CurveRun } from './curve-points.ts';
import { lineChartSpec } from './line-chart.ts';
import { METRIC_GROUPS } from './metric-groups.ts';
import { renderSvg } from './render-svg.ts';

export interface CurveChart {
  id: string;
  title: string;
  svg: string;
  caption: string | null;
}

/** Says what the line styles mean, since vega's SVG cannot draw a dash legend. */
function captionOf(splits: string[], colorBy: 'series' | 'split', smoothing: number): string | null {
  const notes = [
    ...(colorBy === 'series' && splits.length > 1 ? [`solid: ${splits[0]}, dashed: ${splits[1]}`] : []),
    ...(smoothing > 0 ? ['faint lines: unsmoothed values'] : []),
  ];
  return notes.length > 0 ? notes.join(' · ') : null;
}

/** One chart per metric group that has data: colour by run (compare) or by split (one run). */
export async function curveCharts(
  ctx: ReportContext,
  runs: LoadedRun[],
  opts: CompareOptions,
  colorBy: 'series' | 'split',
): Promise<CurveChart[]> {
  const labels = shortLabels(runs.map((r) => r.summary.id));
  const curveRuns: CurveRun[] = runs.map((r, i) => ({ label: labels[i], record: r.record, events: r.events }));
  const charts: CurveChart[] = [];
  const ids = runs.map((r) => r.summary.id).join('\u0000');
  const keyBase = `${ids}|${opts.smoothing}|${opts.xAxis}|${colorBy}|${ctx.store.version}`;
  for (const group of METRIC_GROUPS) {
    const built = groupPoints(curveRuns, group, opts);
    if (built.points.length === 0) continue;
    const svg = await ctx.charts.get(`${group.id}|${keyBase}`, () =>
      renderSvg(
        lineChartSpec({
          title: group.title,
          xTitle: built.xTitle,
          yTitle: group.yTitle,
          xType: built.xType,
          points: built.points,
          showRaw: opts.smoothing > 0,
          colorBy,
          colorDomain: colorBy === 'series' ? labels : undefined,
          yFormat: group.yFormat,
          integerX: group.per === 'epoch' && opts.xAxis === 'step',
        }),
      ),
    );
    const splits = [...new Set(built.points.map((p) => p.split))];
    charts.push({ id: group.id, title: group.title, svg, caption: captionOf(splits, colorBy, opts.smoothing) });
  }
  return charts;
}
