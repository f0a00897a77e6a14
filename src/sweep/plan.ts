// `--dry-run`: what a sweep will run — its trials, their groups of seed repeats, what the logdir
// already has of them, and the estimated compute.
import { formatFlops, type TrialEstimate } from './estimate.ts';
import type { Trial } from './expand.ts';
import type { LoadedSweep } from './load-sweep.ts';
import type { TrialState } from './trial-runs.ts';

export function formatPlan(
  loaded: LoadedSweep,
  trials: Trial[],
  states: Map<string, TrialState>,
  estimates: Map<string, TrialEstimate>,
): string {
  const groups = new Map<string, number>();
  for (const t of trials) groups.set(t.groupId, (groups.get(t.groupId) ?? 0) + 1);
  const sizes = [...new Set(groups.values())];
  const groupText =
    sizes.length === 1
      ? `${groups.size} group${groups.size === 1 ? '' : 's'} of ${sizes[0]} seed${sizes[0] === 1 ? '' : 's'}`
      : `${groups.size} groups`;
  const keys = [...new Set(trials.flatMap((t) => Object.keys(t.assignments)))];
  const header = ['#', 'trial', 'group', 'seed', ...keys, 'train FLOPs', 'logdir'];
  const rows = trials.map((t) => {
    const state = states.get(t.id) ?? { kind: 'new' };
    const e = estimates.get(t.id);
    return [
      String(t.index + 1),
      t.id,
      t.groupId,
      String(t.seed),
      ...keys.map((k) => (k in t.assignments ? display(t.assignments[k]) : '')),
      e ? formatFlops(e.flops) : '?',
      state.kind === 'done'
        ? `done (${state.run.runId})`
        : state.kind === 'resume'
          ? `resumes ${state.run.runId} (${state.run.status}, step ${state.run.globalStep})`
          : 'new',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const counts = { done: 0, resume: 0, new: 0 };
  for (const t of trials) counts[(states.get(t.id) ?? { kind: 'new' }).kind]++;
  const flops = trials.map((t) => estimates.get(t.id)?.flops ?? 0);
  const total = flops.reduce((a, b) => a + b, 0);
  const left = trials
    .filter((t) => (states.get(t.id)?.kind ?? 'new') !== 'done')
    .reduce((a, t) => a + (estimates.get(t.id)?.flops ?? 0), 0);
  const perTrial = flops.length
    ? `${formatFlops(Math.min(...flops))}–${formatFlops(Math.max(...flops))} per trial`
    : '';
  return [
    `sweep ${loaded.name} (${loaded.where}): ${trials.length} trial${trials.length === 1 ? '' : 's'} in ${groupText}, parent experiment ${loaded.experiment}` +
      (loaded.sweep.maxParallel ? `, at most ${loaded.sweep.maxParallel} at once` : ''),
    ...(Object.keys(loaded.sweep.set).length
      ? [
          `shared: ${Object.entries(loaded.sweep.set)
            .map(([k, v]) => `${k}=${display(v)}`)
            .join(' ')}`,
        ]
      : []),
    '',
    line(header),
    ...rows.map(line),
    '',
    `estimated training compute: ${perTrial}, ${formatFlops(total)} in all (${formatFlops(left)} still to run)`,
    `logdir: ${counts.done} done, ${counts.resume} to resume, ${counts.new} new`,
    '',
  ].join('\n');
}

function display(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
