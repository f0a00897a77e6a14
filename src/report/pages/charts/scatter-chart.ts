import type { TopLevelSpec } from 'vega-lite';
import { costOf, type CostAxis, type CostQualityRow } from '../../metrics/cost-quality.ts';
import { shortLabels } from '../labels.ts';

interface ScatterPoint {
  label: string;
  cost: number;
  quality: number;
  pareto: boolean;
}

interface ScatterInput {
  title: string;
  xTitle: string;
  yTitle: string;
  points: ScatterPoint[];
  logX: boolean;
}

const GROUPS = ['Pareto front', 'dominated'];

function scatterSpec(input: ScatterInput): TopLevelSpec {
  const front = input.points.filter((p) => p.pareto).sort((a, b) => a.cost - b.cost);
  const xScale = input.logX ? { type: 'log' as const } : { zero: false };
  const x = {
    field: 'cost',
    type: 'quantitative' as const,
    title: input.xTitle,
    scale: xScale,
    axis: { tickCount: 6, labelOverlap: true },
  };
  const y = {
    field: 'quality',
    type: 'quantitative' as const,
    title: input.yTitle,
    scale: { zero: false },
    axis: { format: '.0%', tickCount: 5 },
  };
  const rows = input.points.map((p) => ({ ...p, group: p.pareto ? GROUPS[0] : GROUPS[1] }));
  const byGroup = (range: string[]) => ({
    field: 'group',
    type: 'nominal',
    title: null,
    scale: { domain: GROUPS, range },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: input.title,
    width: 520,
    height: 260,
    layer: [
      {
        data: { values: front },
        mark: { type: 'line', color: '#d62728', strokeDash: [4, 3], strokeWidth: 1.4 },
        encoding: { x, y },
      },
      {
        data: { values: rows },
        mark: { type: 'point', filled: true, size: 70, opacity: 0.9 },
        encoding: { x, y, color: byGroup(['#d62728', '#7f8c9a']), shape: byGroup(['diamond', 'circle']) },
      },
      {
        data: { values: rows.length <= 25 ? rows : rows.filter((r) => r.pareto) },
        mark: { type: 'text', align: 'left', dx: 7, dy: -6, fontSize: 10, color: '#333', limit: 260 },
        encoding: { x, y, text: { field: 'label' } },
      },
    ],
  } as TopLevelSpec;
}

/** Largest over smallest positive value (1 when there are none). */
function spread(values: number[]): number {
  const pos = values.filter((v) => v > 0);
  return pos.length ? Math.max(...pos) / Math.min(...pos) : 1;
}

/**
 * Quality against cost, the Pareto front drawn as a dashed line; rows without a quality or a cost on
 * `axis` are left out, and a cost axis spanning more than 30× is logarithmic.
 */
export function costQualitySpec(rows: readonly CostQualityRow[], axis: CostAxis, title: string): TopLevelSpec | null {
  const rated = rows.filter((r) => r.quality !== null && costOf(r, axis) !== null);
  if (rated.length === 0) return null;
  const labels = shortLabels(rated.map((r) => r.id));
  const costs = rated.map((r) => costOf(r, axis)!);
  return scatterSpec({
    title,
    xTitle: axis === 'flops' ? 'training compute (PFLOP)' : 'device time (hours)',
    yTitle: 'test accuracy (else best validation)',
    points: rated.map((r, i) => ({ label: labels[i], cost: costs[i], quality: r.quality!, pareto: r.pareto })),
    logX: spread(costs) > 30,
  });
}
