import type { TopLevelSpec } from 'vega-lite';

/** One line of the chart: a trial's hyperparameter values and its metric. */
export interface ParallelLine {
  id: string;
  values: Record<string, unknown>;
  metric: number;
}

interface AxisScale {
  /** Where a value sits on the axis, 0 (bottom) to 1 (top). */
  position: (v: unknown) => number;
  ticks: { y: number; label: string }[];
}

const shortNumber = (v: number): string => String(Number(v.toPrecision(3)));
const shown = (v: unknown): string => (typeof v === 'string' ? v : v === undefined ? '—' : JSON.stringify(v));

/**
 * Numbers on a linear axis, or a logarithmic one when they are positive and span 10× or more (learning
 * rates); anything else as evenly spaced categories in sorted order. A single value sits mid-axis.
 */
function axisScale(values: unknown[], format: (v: number) => string): AxisScale {
  if (values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    const nums = [...new Set(values as number[])].sort((a, b) => a - b);
    const lo = nums[0]!;
    const hi = nums.at(-1)!;
    const log = lo > 0 && hi / lo >= 10;
    const f = (v: number) => (log ? Math.log(v) : v);
    const position = (v: unknown) => (hi === lo ? 0.5 : (f(v as number) - f(lo)) / (f(hi) - f(lo)));
    const tickValues = nums.length <= 8 ? nums : [lo, hi];
    return { position, ticks: tickValues.map((v) => ({ y: position(v), label: format(v) })) };
  }
  const cats = [...new Set(values.map(shown))].sort();
  const position = (v: unknown) => (cats.length === 1 ? 0.5 : cats.indexOf(shown(v)) / (cats.length - 1));
  const ticks = cats.length <= 12 ? cats.map((c) => ({ y: position(c), label: c })) : [];
  return { position, ticks };
}

/**
 * Parallel coordinates of hyperparameters → metric, as TensorBoard's HParams and W&B draw them: one
 * vertical axis per varying key and one for the metric, one line per trial, coloured by the metric.
 * Each axis is scaled to its own range, so positions compare within an axis only.
 */
export function parallelCoordinatesSpec(
  keys: readonly string[],
  lines: readonly ParallelLine[],
  metricLabel: string,
  title: string,
): TopLevelSpec | null {
  if (lines.length === 0) return null;
  const axes = [...keys, metricLabel];
  const scales = new Map<string, AxisScale>();
  for (const key of keys)
    scales.set(
      key,
      axisScale(
        lines.map((l) => l.values[key]),
        shortNumber,
      ),
    );
  scales.set(
    metricLabel,
    axisScale(
      lines.map((l) => l.metric),
      (v) => `${(v * 100).toFixed(1)} %`,
    ),
  );
  const points = lines.flatMap((l) =>
    axes.map((axis, index) => {
      const value = axis === metricLabel ? l.metric : l.values[axis];
      return { id: l.id, axis, index, y: scales.get(axis)!.position(value), metric: l.metric };
    }),
  );
  const ticks = axes.flatMap((axis) => scales.get(axis)!.ticks.map((t) => ({ axis, ...t })));
  const x = {
    field: 'axis',
    type: 'nominal' as const,
    sort: axes,
    title: null,
    scale: { padding: 0.2 },
    axis: {
      labelAngle: 0,
      labelLimit: 220,
      orient: 'bottom' as const,
      domain: false,
      ticks: false,
      grid: false,
      // A long dotted key on two lines: `model.head.dense.0.` above `units`.
      labelExpr: `length(datum.label) > 20 ? [slice(datum.label, 0, lastindexof(datum.label, '.') + 1), slice(datum.label, lastindexof(datum.label, '.') + 1)] : datum.label`,
    },
  };
  const y = { field: 'y', type: 'quantitative' as const, scale: { domain: [0, 1] }, axis: null };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: Math.max(320, 150 * axes.length),
    height: 260,
    layer: [
      {
        data: { values: axes.map((axis) => ({ axis })) },
        mark: { type: 'rule', color: '#9aa3ad' },
        encoding: { x, y: { datum: 0, type: 'quantitative', scale: { domain: [0, 1] }, axis: null }, y2: { datum: 1 } },
      },
      {
        data: { values: points },
        mark: { type: 'line', strokeWidth: 1.6, opacity: 0.85 },
        encoding: {
          x,
          y,
          detail: { field: 'id' },
          order: { field: 'index' },
          color: {
            field: 'metric',
            type: 'quantitative',
            title: metricLabel,
            scale: { scheme: 'viridis' },
            legend: { format: '.1%', direction: 'horizontal', orient: 'bottom', gradientLength: 200 },
          },
        },
      },
      {
        data: { values: ticks },
        mark: { type: 'text', align: 'left', dx: 4, fontSize: 10, color: '#333', limit: 140 },
        encoding: { x, y, text: { field: 'label' } },
      },
    ],
    config: { view: { stroke: null } },
  } as TopLevelSpec;
}
