import type { TopLevelSpec } from 'vega-lite';

export interface LinePoint {
  series: string;
  split: string;
  x: number;
  y: number;
  raw: number;
}

interface LineChartInput {
  title: string;
  xTitle: string;
  yTitle: string;
  xType: 'quantitative' | 'temporal';
  points: LinePoint[];
  /** Draw the unsmoothed values faintly behind the smoothed line. */
  showRaw: boolean;
  /** Colour by series (compare) or by split (one run). */
  colorBy: 'series' | 'split';
  /** Every series of the page in order, so a run keeps its colour in charts where others are missing. */
  colorDomain?: string[];
  yFormat?: string;
  /** Whole-number x ticks (epochs). */
  integerX?: boolean;
}

function encodings(input: LineChartInput) {
  const color = {
    field: input.colorBy,
    type: 'nominal' as const,
    title: input.colorBy === 'series' ? 'run' : null,
    sort: null,
    ...(input.colorDomain ? { scale: { domain: input.colorDomain } } : {}),
  };
  const splits = new Set(input.points.map((p) => p.split));
  const strokeDash = {
    field: 'split',
    type: 'nominal' as const,
    title: 'split',
    sort: null,
    scale: {
      range: [
        [1, 0],
        [5, 3],
        [2, 2],
      ],
    },
    legend: null,
  };
  // A dash legend renders without stroke colour in vega's SVG output; pages caption it instead.
  const dash = input.colorBy === 'series' && splits.size > 1 ? { strokeDash } : {};
  const xAxis = { tickCount: 6, labelOverlap: true, ...(input.integerX ? { tickMinStep: 1, format: 'd' } : {}) };
  const x = { field: 'x', type: input.xType, title: input.xTitle, axis: xAxis };
  const detail = { detail: [{ field: 'series' }, { field: 'split' }] };
  return { x, color, dash, detail };
}

export function lineChartSpec(input: LineChartInput): TopLevelSpec {
  const { x, color, dash, detail } = encodings(input);
  const yAxis = { tickCount: 5, format: input.yFormat ?? '.4~g' };
  const y = { field: 'y', type: 'quantitative', title: input.yTitle, scale: { zero: false }, axis: yAxis };
  // The smoothed line comes first so the legend takes its (opaque) style; the raw values are drawn faintly.
  const layers: unknown[] = [
    {
      mark: { type: 'line', strokeWidth: 1.8, point: input.points.length <= 30 ? { size: 14 } : false },
      encoding: { x, y, color, ...dash, ...detail },
    },
  ];
  if (input.showRaw) {
    const raw = { field: 'raw', type: 'quantitative' };
    const mark = { type: 'line', opacity: 0.22, strokeWidth: 1 };
    layers.push({ mark, encoding: { x, y: raw, color, ...dash, ...detail } });
  }
  // Long run labels get one legend column so none is cut short.
  const longest = Math.max(0, ...input.points.map((p) => p.series.length));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: input.title,
    config: { legend: longest > 30 ? { columns: 1, labelLimit: 500 } : { columns: 2 } },
    width: 520,
    height: 220,
    data: { values: input.points },
    layer: layers,
  } as TopLevelSpec;
}
