import { STUDY_KEYS, type GroupBy } from '../metrics/groups.ts';
import type { MeasuredRun } from '../metrics/measured-run.ts';
import { buildStudy, type Study, type StudyCost, type StudyGroup } from '../metrics/study.ts';
import { studySpec } from './charts/study-chart.ts';
import type { ReportContext } from './context.ts';
import { duration, pct, si } from './format.ts';
import { baseColor, groupId, identitiesOf } from './identity.ts';

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

const costText = (cost: StudyCost, v: number | null | undefined) =>
  cost === 'flops' ? si(v, 'FLOP') : v === null || v === undefined ? '—' : duration(v);

const spreadText = (g: StudyGroup) =>
  g.quality ? `${pct(g.quality.mean)} ± ${(g.quality.std * 100).toFixed(1)}` : '—';

/** Which configuration wins at which budget, walking the front from cheap to expensive. */
function verdicts(study: Study, title: (g: StudyGroup) => string): string[] {
  const byKey = new Map(study.groups.map((g) => [g.key, g]));
  const front = study.front.map((f) => byKey.get(f.key)!);
  return front.map((g, i) => {
    const q = pct(g.quality!.mean);
    const c = costText(study.cost, g.cost!.mean);
    if (i === 0) {
      const upTo = front[1] ? ` (best below ${costText(study.cost, front[1].cost!.mean)})` : ' (best at every budget)';
      return `Cheapest on the front: ${title(g)} reaches ${q} for ${c}${upTo}.`;
    }
    const prev = front[i - 1];
    const gain = ((g.quality!.mean - prev.quality!.mean) * 100).toFixed(1);
    const ratio = (g.cost!.mean / prev.cost!.mean).toPrecision(2);
    return `From ${c}: ${title(g)} reaches ${q} (+${gain} points for ${ratio}× the cost).`;
  });
}

function groupRow(ctx: ReportContext, study: Study, g: StudyGroup, title: string) {
  const ids = identitiesOf(ctx.store);
  return {
    gid: groupId(g.key),
    title,
    label: g.label,
    base: g.base,
    baseColor: baseColor(g.base),
    freezing: g.freezing,
    rank: g.rank ?? '—',
    n: g.runs.length,
    quality: spreadText(g),
    qualityValue: g.quality?.mean ?? '',
    range: g.quality && g.runs.length > 1 ? `${pct(g.quality.min)}–${pct(g.quality.max)}` : '',
    cost: costText(study.cost, g.cost?.mean),
    costValue: g.cost?.mean ?? '',
    pareto: g.pareto,
    standing: g.pareto ? 'on the front' : (g.excluded ?? 'dominated'),
    runs: g.runs.map((r) => ({
      id: r.id,
      href: ctx.links.run(r.id),
      name: ids.get(r.id)?.name ?? r.id,
      color: ids.get(r.id)?.color,
      excluded: r.excluded,
      cacheNote: r.charged.note,
    })),
  };
}

/** The study view: groups on quality vs cost with the Pareto front, and a ranked table that says who wins when. */
export function studyView(ctx: ReportContext, runs: readonly MeasuredRun[], by: GroupBy, cost: StudyCost) {
  const pool = ctx.store.summaries().map((s) => ({ summary: s, record: ctx.store.record(s.id) ?? {} }));
  const study = buildStudy(runs, by, cost, pool);
  const spec = studySpec(study);
  const byStudyKeys = by.kind === 'keys' && by.keys.join() === STUDY_KEYS.join();
  const title = (g: StudyGroup) =>
    byStudyKeys ? `${g.base} · ${g.freezing}${g.inputSize ? ` · ${g.inputSize} px` : ''}` : g.label;
  const rows = study.groups
    .map((g) => groupRow(ctx, study, g, title(g)))
    .sort((a, b) => (Number(a.rank) || 1e9) - (Number(b.rank) || 1e9));
  return {
    title: `${capitalize(study.measureTitle)} vs ${cost === 'flops' ? 'training compute' : 'device time'}${
      study.measure === 'validation' ? ' (not every run has a test accuracy)' : ''
    }`,
    measure: study.measure,
    cost: { flops: cost === 'flops', seconds: cost === 'seconds' },
    chart: spec ? { payload: { id: 'study', spec, study: true } } : null,
    rows,
    verdicts: verdicts(study, title),
    byStudyKeys,
    front: study.front.map((f) => groupId(f.key)),
    empty: study.groups.length === 0,
  };
}
