import type { TopLevelSpec } from 'vega-lite';

// Curve charts are drawn in the browser (vega-embed) from a spec made here and the raw points; the
// browser smooths the values into `y`, picks the x field and the y scale, and swaps the data, so
// none of those needs a page load. The spec's contract with public/charts.js: layers read `x` / `y`
// (and `lo` / `hi` for group bands) from the `points` dataset and phase marks from `phases`.

interface LineChartInput {
  title: string;
  yTitle: string;
  yFormat?: string;
  per: 'epoch' | 'step';
  /** Colour by run (compare), by split (one run) or by group (compare, groups view). */
  colorBy: 'name' | 'split' | 'group';
  domain: string[];
  range?: string[];
  splits: string[];
}

/** The x encodings the browser chooses from: step (or epoch), seconds since start, time of day. */
export function xModes(per: 'epoch' | 'step', wallFormat: string) {
  const step = per === 'epoch' ? { title: 'epoch', format: 'd', tickMinStep: 1 } : { title: 'optimizer step' };
  return {
    step: {
      field: 'x',
      type: 'quantitative',
      title: step.title,
      axis: { format: step.format ?? '~s', tickMinStep: 1, labelOverlap: true },
    },
    relative: { field: 'x', type: 'quantitative', title: 'time since run start', axis: { labelOverlap: true } },
    wall: {
      field: 'x',
      type: 'temporal',
      title: 'time of day (24 h)',
      axis: { format: wallFormat, labelOverlap: true, tickCount: 6 },
    },
  };
}

function colorOf(input: LineChartInput) {
  const scale = input.range ? { domain: input.domain, range: input.range } : { domain: input.domain };
  const title = input.colorBy === 'name' ? 'run' : input.colorBy;
  return { field: input.colorBy, type: 'nominal', title, sort: null, scale, legend: { labelLimit: 260 } };
}

/** train solid, validation dashed — with its own legend drawn in grey so it reads as a line style. */
function dashOf(input: LineChartInput) {
  if (input.splits.length < 2 || input.colorBy === 'split') return null;
  const legend = { symbolType: 'stroke', symbolStrokeColor: '#444', symbolStrokeWidth: 2, title: 'split' };
  const range = [
    [1, 0],
    [6, 3],
    [2, 2],
  ].slice(0, input.splits.length);
  return { field: 'split', type: 'nominal', sort: null, scale: { domain: input.splits, range }, legend };
}

function tooltipOf(input: LineChartInput, colorField: string) {
  return [
    { field: colorField, title: colorField === 'name' ? 'run' : colorField },
    { field: 'split' },
    { field: 'xLabel', title: 'at' },
    { field: 'y', title: `${input.yTitle} (smoothed)`, format: input.yFormat ?? '.4~g' },
    { field: 'value', title: `${input.yTitle} (raw)`, format: input.yFormat ?? '.4~g' },
  ];
}

/** Invisible points that light up and show their values under the pointer. */
function hoverLayer(x: object, y: object, color: object, input: LineChartInput) {
  const hover = { name: 'hover', select: { type: 'point', on: 'pointerover', clear: 'pointerout' } };
  return {
    name: 'points',
    mark: { type: 'point', filled: true, size: 36 },
    encoding: {
      x,
      y,
      color,
      opacity: { condition: { param: 'hover', empty: false, value: 1 }, value: 0 },
      tooltip: tooltipOf(input, input.colorBy),
    },
    params: [hover],
  };
}

/** Dotted rules where each run's phases ended (shown on the relative-time axis). */
const PHASE_LAYER = {
  name: 'phases',
  data: { name: 'phases' },
  mark: { type: 'rule', strokeDash: [2, 3], color: '#888' },
  encoding: {
    x: { field: 'x', type: 'quantitative' },
    tooltip: [
      { field: 'name', title: 'run' },
      { field: 'label', title: 'phase' },
      { field: 'xLabel', title: 'at' },
    ],
  },
};

export function lineChartSpec(input: LineChartInput): TopLevelSpec {
  const color = colorOf(input);
  const dash = dashOf(input);
  const detail = { detail: [{ field: input.colorBy }, { field: 'split' }] };
  const x = { field: 'x', type: 'quantitative' };
  const y = {
    field: 'y',
    type: 'quantitative',
    title: input.yTitle,
    scale: { zero: false },
    axis: { format: input.yFormat ?? '~s' },
  };
  const line = { x, y, color, ...(dash ? { strokeDash: dash } : {}), ...detail };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: input.title,
    width: 'container',
    height: 230,
    autosize: { type: 'fit-x', contains: 'padding' },
    config: { legend: { symbolOpacity: 1, symbolStrokeWidth: 3, labelFontSize: 11, titleFontSize: 11 } },
    data: { name: 'points' },
    layer: [
      {
        name: 'band',
        mark: { type: 'area', opacity: 0.18 },
        encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color, ...detail },
      },
      {
        name: 'raw',
        mark: { type: 'line', opacity: 0.22, strokeWidth: 1 },
        encoding: { ...line, y: { ...y, field: 'value' } },
      },
      {
        name: 'line',
        mark: { type: 'line', strokeWidth: 1.8 },
        encoding: line,
        params: [{ name: 'zoom', select: 'interval', bind: 'scales' }],
      },
      hoverLayer(x, y, color, input),
      PHASE_LAYER,
    ],
  } as TopLevelSpec;
}
