import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

// Charts are vega-lite specs rendered to SVG strings on the server (renderer 'none' + toSVG), so
// the same markup works in the live site and in the static export. Vega escapes every text it
// writes into the SVG (labels, titles, aria descriptions).

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const CATEGORY_COLORS = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];
const config = {
  font: FONT,
  background: 'white',
  view: { stroke: '#e3e6ea' },
  axis: {
    labelFontSize: 11,
    titleFontSize: 11,
    titleFontWeight: 500,
    titleColor: '#444',
    labelColor: '#555',
    gridColor: '#eef0f2',
    domainColor: '#999',
    tickColor: '#999',
  },
  legend: {
    labelFontSize: 11,
    titleFontSize: 11,
    symbolStrokeWidth: 3,
    symbolSize: 120,
    symbolOpacity: 1,
    labelLimit: 420,
    orient: 'bottom',
    direction: 'vertical',
    columns: 2,
  },
  title: { fontSize: 13, fontWeight: 600, anchor: 'start', color: '#222', offset: 8 },
  range: { category: CATEGORY_COLORS },
} as const;

/** The house style under a chart's own config, merged one level deep (a chart may change just legend.columns). */
function withHouseStyle(own: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...config };
  for (const [key, value] of Object.entries(own)) {
    const base = merged[key];
    const both = base && typeof base === 'object' && value && typeof value === 'object';
    merged[key] = both ? { ...base, ...value } : value;
  }
  return merged;
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const merged = withHouseStyle((spec.config ?? {}) as Record<string, unknown>);
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
