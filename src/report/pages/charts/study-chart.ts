import type { TopLevelSpec } from 'vega-lite';
import type { Study, StudyCost } from '../../metrics/study.ts';
import { baseColor, groupId } from '../identity.ts';

const SHAPES = ['circle', 'square', 'triangle-up', 'diamond', 'cross', 'triangle-down', 'wedge', 'stroke'];
const COST_TITLE: Record<StudyCost, string> = {
  flops: 'training compute incl. feature extraction (FLOP, log scale)',
  seconds: 'device time incl. feature extraction (s, log scale)',
};

/** One datum per group: means, ±1 std bars (0 for a single run), and what the tooltip says. */
function marks(study: Study) {
  return study.groups
    .filter((g) => g.quality && g.cost && g.cost.mean > 0)
    .map((g) => ({
      key: g.key,
      gid: groupId(g.key),
      label: g.label,
      base: g.base,
      freezing: g.freezing,
      n: g.runs.length,
      quality: g.quality!.mean,
      qlo: g.quality!.mean - g.quality!.std,
      qhi: g.quality!.mean + g.quality!.std,
      cost: g.cost!.mean,
      clo: Math.max(g.cost!.mean - g.cost!.std, g.cost!.min),
      chi: g.cost!.mean + g.cost!.std,
      spread: `± ${(g.quality!.std * 100).toFixed(1)} points (n = ${g.runs.length})`,
      standing: g.pareto ? 'on the Pareto front' : (g.excluded ?? 'dominated'),
      rated: g.excluded === null ? 'rated' : 'not rated',
    }));
}

function encodings(study: Study, values: ReturnType<typeof marks>) {
  const bases = [...new Set(values.map((v) => v.base))].sort();
  const freezings = [...new Set(values.map((v) => v.freezing))].sort();
  const x = {
    field: 'cost',
    type: 'quantitative',
    title: COST_TITLE[study.cost],
    scale: { type: 'log', nice: false, padding: 16 },
    axis: { format: '~s', labelOverlap: true, tickCount: 5 },
  };
  const y = {
    field: 'quality',
    type: 'quantitative',
    title: study.measureTitle,
    scale: { zero: false, padding: 12 },
    axis: { format: '.0%', labelOverlap: true, tickCount: 6 },
  };
  const color = {
    field: 'base',
    type: 'nominal',
    title: 'base',
    scale: { domain: bases, range: bases.map(baseColor) },
  };
  const shape = {
    field: 'freezing',
    type: 'nominal',
    title: 'freezing',
    scale: { domain: freezings, range: SHAPES.slice(0, freezings.length) },
  };
  const tooltip = [
    { field: 'label', title: 'group' },
    { field: 'quality', title: 'mean quality', format: '.1%' },
    { field: 'spread', title: 'spread' },
    { field: 'cost', title: study.cost === 'flops' ? 'mean FLOP' : 'mean device s', format: '.3~s' },
    { field: 'standing', title: 'standing' },
  ];
  return { x, y, color, shape, tooltip };
}

export function studySpec(study: Study): TopLevelSpec | null {
  const values = marks(study);
  if (values.length === 0) return null;
  const { x, y, color, shape, tooltip } = encodings(study, values);
  const front = study.front.map((f) => values.find((v) => v.key === f.key)!).filter(Boolean);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 'container',
    height: 300,
    autosize: { type: 'fit-x', contains: 'padding' },
    config: { legend: { orient: 'bottom', direction: 'vertical', columns: 1, labelLimit: 140 } },
    layer: [
      {
        name: 'front',
        data: { values: front },
        mark: { type: 'line', color: '#d62728', strokeDash: [5, 3], strokeWidth: 1.5 },
        encoding: { x, y, order: { field: 'cost' } },
      },
      {
        name: 'qspread',
        data: { values },
        mark: { type: 'rule', strokeWidth: 1.5 },
        encoding: { x, y: { field: 'qlo', type: 'quantitative' }, y2: { field: 'qhi' }, color },
      },
      {
        name: 'cspread',
        data: { values },
        mark: { type: 'rule', strokeWidth: 1.5 },
        encoding: { y, x: { field: 'clo', type: 'quantitative' }, x2: { field: 'chi' }, color },
      },
      ...(['rated', 'not rated'] as const).map((rated) => ({
        name: rated === 'rated' ? 'groups' : 'unrated',
        data: { values: values.filter((v) => v.rated === rated) },
        mark: { type: 'point', size: 110, strokeWidth: 2, filled: rated === 'rated', opacity: 1 },
        encoding: { x, y, color, shape, tooltip, description: { field: 'gid' } },
        ...(rated === 'rated' ? { params: [{ name: 'zoom', select: 'interval', bind: 'scales' }] } : {}),
      })),
    ],
  } as TopLevelSpec;
}
