import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

// Charts are vega-lite specs rendered to SVG strings on the server (renderer 'none' + toSVG), so
// the same markup works in the live site and in the static export. Vega escapes every text it
// writes into the SVG (labels, titles, aria descriptions).

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const config = {
  font: FONT,
  background: 'white',
  view: { stroke: '#e3e6ea' },
  axis: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: 500, titleColor: '#444', labelColor: '#555', gridColor: '#eef0f2', domainColor: '#999', tickColor: '#999' },
  legend: { labelFontSize: 11, titleFontSize: 11, symbolStrokeWidth: 3, symbolSize: 120, symbolOpacity: 1, labelLimit: 420, orient: 'bottom', direction: 'vertical', columns: 2 },
  title: { fontSize: 13, fontWeight: 600, anchor: 'start', color: '#222', offset: 8 },
  range: { category: ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'] },
} as const;

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const own = (spec.config ?? {}) as Record<string, unknown>;
  // One level deep, so a chart can change e.g. legend.columns and keep the rest of the legend style.
  const merged: Record<string, unknown> = { ...config };
  for (const [key, value] of Object.entries(own)) {
    const base = merged[key];
    merged[key] = base && typeof base === 'object' && value && typeof value === 'object' ? { ...base, ...value } : value;
  }
  const compiled = compile({ ...spec, config: merged } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    // Vega gives the chart a fixed width; a viewBox lets CSS scale it down in narrow columns.
    return svg.replace('<svg ', '<svg role="img" preserveAspectRatio="xMinYMin meet" ');
  } finally {
    view.finalize();
  }
}

/** A small cache of rendered charts keyed by what went into them. */
export class SvgCache {
  private readonly map = new Map<string, Promise<string>>();
  constructor(private readonly max = 400) {}

  get(key: string, render: () => Promise<string>): Promise<string> {
    const hit = this.map.get(key);
    if (hit) {
      this.map.delete(key);
      this.map.set(key, hit);
      return hit;
    }
    const made = render();
    made.catch(() => this.map.delete(key));
    this.map.set(key, made);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
    return made;
  }
}

export interface LinePoint { series: string; split: string; x: number; y: number; raw: number }

export interface LineChartInput {
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
  width?: number;
  height?: number;
}

export function lineChartSpec(input: LineChartInput): TopLevelSpec {
  const color = {
    field: input.colorBy, type: 'nominal' as const, title: input.colorBy === 'series' ? 'run' : null, sort: null,
    ...(input.colorDomain ? { scale: { domain: input.colorDomain } } : {}),
  };
  const splits = new Set(input.points.map((p) => p.split));
  const dash = input.colorBy === 'series' && splits.size > 1
    // A dash legend renders without stroke colour in vega's SVG output; pages caption it instead.
    ? { strokeDash: { field: 'split', type: 'nominal' as const, title: 'split', sort: null, scale: { range: [[1, 0], [5, 3], [2, 2]] }, legend: null } }
    : {};
  const x = { field: 'x', type: input.xType, title: input.xTitle, axis: { tickCount: 6, labelOverlap: true, ...(input.integerX ? { tickMinStep: 1, format: 'd' } : {}) } };
  const detail = { detail: [{ field: 'series' }, { field: 'split' }] };
  // The smoothed line comes first so the legend takes its (opaque) style; the raw values are drawn faintly.
  const layers: unknown[] = [{
    mark: { type: 'line', strokeWidth: 1.8, point: input.points.length <= 30 ? { size: 14 } : false },
    encoding: {
      x,
      y: { field: 'y', type: 'quantitative', title: input.yTitle, scale: { zero: false }, axis: { tickCount: 5, format: input.yFormat ?? '.4~g' } },
      color, ...dash, ...detail,
    },
  }];
  if (input.showRaw) {
    layers.push({ mark: { type: 'line', opacity: 0.22, strokeWidth: 1 }, encoding: { x, y: { field: 'raw', type: 'quantitative' }, color, ...dash, ...detail } });
  }
  // Long run labels get one legend column so none is cut short.
  const longest = Math.max(0, ...input.points.map((p) => p.series.length));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: input.title,
    config: { legend: longest > 30 ? { columns: 1, labelLimit: 500 } : { columns: 2 } },
    width: input.width ?? 520,
    height: input.height ?? 220,
    data: { values: input.points },
    layer: layers,
  } as TopLevelSpec;
}

export interface ScatterPoint { label: string; cost: number; quality: number; pareto: boolean }

export function scatterSpec(input: { title: string; xTitle: string; yTitle: string; points: ScatterPoint[]; logX: boolean }): TopLevelSpec {
  const front = input.points.filter((p) => p.pareto).sort((a, b) => a.cost - b.cost);
  const x = { field: 'cost', type: 'quantitative' as const, title: input.xTitle, scale: input.logX ? { type: 'log' as const } : { zero: false }, axis: { tickCount: 6, labelOverlap: true } };
  const y = { field: 'quality', type: 'quantitative' as const, title: input.yTitle, scale: { zero: false }, axis: { format: '.0%', tickCount: 5 } };
  const rows = input.points.map((p) => ({ ...p, group: p.pareto ? 'Pareto front' : 'dominated' }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: input.title,
    width: 520,
    height: 260,
    layer: [
      { data: { values: front }, mark: { type: 'line', color: '#d62728', strokeDash: [4, 3], strokeWidth: 1.4 }, encoding: { x, y } },
      {
        data: { values: rows },
        mark: { type: 'point', filled: true, size: 70, opacity: 0.9 },
        encoding: {
          x, y,
          color: { field: 'group', type: 'nominal', title: null, scale: { domain: ['Pareto front', 'dominated'], range: ['#d62728', '#7f8c9a'] } },
          shape: { field: 'group', type: 'nominal', title: null, scale: { domain: ['Pareto front', 'dominated'], range: ['diamond', 'circle'] } },
        },
      },
      {
        data: { values: rows.length <= 25 ? rows : rows.filter((r) => r.pareto) },
        mark: { type: 'text', align: 'left', dx: 7, dy: -6, fontSize: 10, color: '#333', limit: 260 },
        encoding: { x, y, text: { field: 'label' } },
      },
    ],
  } as TopLevelSpec;
}

export function barSpec(input: { title: string; rows: { label: string; value: number }[]; xTitle: string }): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: input.title,
    width: 420,
    height: { step: 18 },
    data: { values: input.rows },
    layer: [
      {
        mark: { type: 'bar', color: '#4c78a8', cornerRadiusEnd: 2 },
        encoding: {
          y: { field: 'label', type: 'nominal', sort: null, title: null },
          x: { field: 'value', type: 'quantitative', title: input.xTitle, scale: { domain: [0, 1] }, axis: { format: '.0%' } },
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 3, fontSize: 10, color: '#333' },
        encoding: { y: { field: 'label', type: 'nominal', sort: null }, x: { field: 'value', type: 'quantitative' }, text: { field: 'value', format: '.1%' } },
      },
    ],
  } as TopLevelSpec;
}

/** Per-class accuracy of several runs: one group of bars per class, one bar per run. */
export function groupedBarSpec(input: { title: string; rows: { label: string; series: string; value: number }[]; xTitle: string; colorDomain?: string[] }): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: input.title,
    width: 480,
    height: { step: 7 },
    data: { values: input.rows },
    mark: { type: 'bar', cornerRadiusEnd: 1 },
    encoding: {
      y: { field: 'label', type: 'nominal', sort: null, title: null },
      yOffset: { field: 'series', type: 'nominal', sort: null },
      x: { field: 'value', type: 'quantitative', title: input.xTitle, scale: { domain: [0, 1] }, axis: { format: '.0%' } },
      color: { field: 'series', type: 'nominal', title: 'run', sort: null, ...(input.colorDomain ? { scale: { domain: input.colorDomain } } : {}) },
      tooltip: [{ field: 'series' }, { field: 'label' }, { field: 'value', format: '.1%' }],
    },
  } as TopLevelSpec;
}
