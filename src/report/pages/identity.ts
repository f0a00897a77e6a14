import { createHash } from 'node:crypto';
import type { RunSummary } from '../metrics/run-summary.ts';

/** How a run looks on every page: one name and one colour, both derived from the run alone. */
export interface RunIdentity {
  name: string;
  color: string;
}

/** Twenty well-separated colours (Tableau 10, then darker variants). */
const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#7f7f7f',
  '#1f4e79',
  '#b35806',
  '#8e0c25',
  '#2b7a78',
  '#2d6a1f',
  '#a68a00',
  '#6a3d7c',
  '#c2185b',
  '#5d4037',
  '#37474f',
];

/**
 * Colours in the order runs started: a new run (the newest) takes the next colour, so the colour of
 * every earlier run stays as it was; past twenty runs, a colour from the id.
 */
function colorsInStartOrder(summaries: readonly RunSummary[]): Map<string, string> {
  const ordered = [...summaries].sort(
    (a, b) => (a.startTime ?? '').localeCompare(b.startTime ?? '') || (a.id < b.id ? -1 : 1),
  );
  return new Map(ordered.map((s, i) => [s.id, i < PALETTE.length ? PALETTE[i] : runColor(s.id)]));
}

/** A colour from the run id: its hash picks a hue and one of three lightness steps, so it never depends on the page. */
export function runColor(id: string): string {
  const h = createHash('sha256').update(id).digest();
  const hue = ((h[0] << 8) | h[1]) % 360;
  const light = [36, 44, 52][h[2] % 3];
  return hslToHex(hue, 68, light);
}

function hslToHex(h: number, s: number, l: number): string {
  const a = (s / 100) * Math.min(l / 100, 1 - l / 100);
  const channel = (n: number) => {
    const k = (n + h / 30) % 12;
    const v = l / 100 - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(v * 255)
      .toString(16)
      .padStart(2, '0');
  };
  return `#${channel(0)}${channel(8)}${channel(4)}`;
}

/** `2026-11-28 10:00` from the start time, else from a `YYYYMMDD-HHMMSS` run folder. */
function startLabel(s: RunSummary): string {
  if (s.startTime && Number.isFinite(Date.parse(s.startTime))) {
    return new Date(s.startTime).toISOString().replace('T', ' ').slice(0, 16);
  }
  const m = /(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})/.exec(s.id.split('/').pop() ?? '');
  return m ? `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}` : (s.id.split('/').pop() ?? s.id);
}

/**
 * One display name per run: its `--name`, else experiment + start time. Names used twice get the
 * experiment, then the start time, then the run folder added, so no two runs of the logdir read alike.
 */
export function runIdentities(summaries: readonly RunSummary[]): Map<string, RunIdentity> {
  const steps: ((s: RunSummary) => string)[] = [
    (s) => s.name ?? `${s.experiment} ${startLabel(s)}`,
    (s) => (s.name ? `${s.experiment}/${s.name}` : `${s.experiment} ${startLabel(s)}`),
    (s) => (s.name ? `${s.experiment}/${s.name} ${startLabel(s)}` : `${s.experiment} ${startLabel(s)}`),
    (s) => s.id,
  ];
  const names = new Map<string, string>();
  const used = new Set<string>();
  let pending = [...summaries];
  for (const step of steps) {
    const counts = new Map<string, number>();
    for (const s of pending) counts.set(step(s), (counts.get(step(s)) ?? 0) + 1);
    for (const s of pending) {
      const name = step(s);
      if (counts.get(name) === 1 && !used.has(name)) {
        names.set(s.id, name);
        used.add(name);
      }
    }
    pending = pending.filter((s) => !names.has(s.id));
  }
  for (const s of pending) names.set(s.id, s.id);
  const colors = colorsInStartOrder(summaries);
  return new Map(summaries.map((s) => [s.id, { name: names.get(s.id)!, color: colors.get(s.id)! }]));
}

const cache = new WeakMap<object, { version: number; map: Map<string, RunIdentity> }>();

/** The identities of every run in a store, recomputed when the store changes. */
export function identitiesOf(store: { version: number; summaries(): RunSummary[] }): Map<string, RunIdentity> {
  const hit = cache.get(store);
  if (hit && hit.version === store.version) return hit.map;
  const map = runIdentities(store.summaries());
  cache.set(store, { version: store.version, map });
  return map;
}

/** A short id for a group key (its canonical JSON), for element ids and test hooks. */
export function groupId(key: string): string {
  return `g${createHash('sha256').update(key).digest('hex').slice(0, 10)}`;
}

/** The study's bases in fixed, well-separated colours; any other base gets one from its name. */
const BASE_COLORS: Record<string, string> = {
  densenet121: '#1f77b4',
  mobilenetv2: '#ff7f0e',
  inceptionv3: '#2ca02c',
  resnet50: '#d62728',
  mobilenet: '#9467bd',
};

export function baseColor(base: string): string {
  return BASE_COLORS[base.split(' ')[0].toLowerCase()] ?? runColor(base);
}
