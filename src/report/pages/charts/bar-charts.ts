import type { TopLevelSpec } from 'vega-lite';

const PERCENT_AXIS = { scale: { domain: [0, 1] }, axis: { format: '.0%' } };

interface BarInput {
  title: string;
  rows: { label: string; value: number }[];
  xTitle: string;
}

/** One bar per label (per-class accuracy of one run), its value printed beside it. */
export function barSpec(input: BarInput): TopLevelSpec {
  const y = { field: 'label', type: 'nominal', sort: null };
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
          y: { ...y, title: null },
          x: { field: 'value', type: 'quantitative', title: input.xTitle, ...PERCENT_AXIS },
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 3, fontSize: 10, color: '#333' },
        encoding: { y, x: { field: 'value', type: 'quantitative' }, text: { field: 'value', format: '.1%' } },
      },
    ],
  } as TopLevelSpec;
}

interface GroupedBarInput {
  title: string;
  rows: { label: string; series: string; value: number }[];
  xTitle: string;
  colorDomain?: string[];
  colorRange?: string[];
}

/** Per-class accuracy of several runs: one group of bars per class, one bar per run. */
export function groupedBarSpec(input: GroupedBarInput): TopLevelSpec {
  const range = input.colorRange ? { range: input.colorRange } : {};
  const scale = input.colorDomain ? { scale: { domain: input.colorDomain, ...range } } : {};
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
      x: { field: 'value', type: 'quantitative', title: input.xTitle, ...PERCENT_AXIS },
      color: { field: 'series', type: 'nominal', title: 'run', sort: null, ...scale },
      tooltip: [{ field: 'series' }, { field: 'label' }, { field: 'value', format: '.1%' }],
    },
  } as TopLevelSpec;
}
