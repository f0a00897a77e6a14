// src/report/metrics/: the numbers the report derives from a run — best/final accuracy, cost and
// quality per run, time-/compute-to-accuracy, the Pareto front, smoothing, definition diffs. Pure
// functions over run.json records and scalar series; may import only the run.json schema and
// src/tensorboard's types (never store, pages, export, server or src/train).
import type { HistoryEntry, LenientRunRecord as RunRecord } from '../../run/record.ts';

type RunStatus = 'running' | 'success' | 'interrupted' | 'failed' | 'unknown';

export interface RunSummary {
  id: string;
  experiment: string;
  name: string | null;
  status: RunStatus;
  /** A running run whose run.json and event files have not changed for a long time. */
  stale: boolean;
  /** Why a run that says it is running is known to be dead (its process is gone, no heartbeat), else null. */
  deadReason: string | null;
  /** Where a running run's long silent phase stands (run.json `progress`): "features train 3,200 / 45,000". */
  progress: string | null;
  error: string | null;
  tags: string[];
  baseModel: string | null;
  freezing: string | null;
  inputSize: number | null;
  epochsPlanned: number | null;
  epochsCompleted: number | null;
  bestValAccuracy: number | null;
  bestEpoch: number | null;
  finalValAccuracy: number | null;
  finalTestAccuracy: number | null;
  /** Seconds from start to end (or to the last update of a run that has not ended). */
  wallSeconds: number | null;
  imagesPerSecond: number | null;
  trainableParams: number | null;
  totalParams: number | null;
  macsPerImage: number | null;
  flops: number | null;
  /** Device time the run used (compute.seconds, else wall time). */
  deviceSeconds: number | null;
  /** Test accuracy when the run has one, else the best validation accuracy. */
  quality: number | null;
  qualitySource: 'test' | 'validation' | null;
  accuracyPerPflop: number | null;
  accuracyPerDeviceHour: number | null;
  startTime: string | null;
  endTime: string | null;
  backend: string | null;
  warnings: string[];
}

const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function get(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function describeFreezing(freeze: unknown): string | null {
  if (freeze === 'all') return 'frozen base';
  if (freeze === 'none') return 'fine-tune all';
  if (typeof freeze === 'string') return freeze;
  if (freeze && typeof freeze === 'object') {
    const f = freeze as Record<string, unknown>;
    if (typeof f.last === 'number') return `last ${f.last} trainable`;
    if (typeof f.from === 'string') return `from ${f.from}`;
    if (typeof f.kind === 'string') return f.kind === 'last' ? `last ${String(f.n)} trainable` : String(f.kind);
  }
  return null;
}

function bestFromHistory(history: HistoryEntry[]): { epoch: number; valAccuracy: number } | null {
  let best: { epoch: number; valAccuracy: number } | null = null;
  for (const h of history) {
    const acc = finite(h.valAccuracy);
    if (acc !== null && (best === null || acc > best.valAccuracy)) best = { epoch: h.epoch, valAccuracy: acc };
  }
  return best;
}

export function parseTime(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : null;
}

interface SummaryInput {
  id: string;
  record: RunRecord;
  warnings: string[];
  /** Last modification of run.json or the run's event files (ms since epoch). */
  lastUpdateMs: number;
  nowMs: number;
  staleAfterMs: number;
  /** From the liveness check of a running run (see liveness.ts). */
  deadReason?: string | null;
}

function stringTags(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((t): t is string => typeof t === 'string') : [];
}

/** What the run's definition says about the model and the plan. */
function fromDefinition(r: RunRecord) {
  const def = r.definition ?? {};
  const base = get(def, ['model', 'base']);
  const alpha = finite(get(def, ['model', 'alpha']));
  return {
    tags: r.tags ?? stringTags(get(def, ['tags'])),
    baseModel: typeof base === 'string' ? (alpha !== null ? `${base} α=${alpha}` : base) : null,
    freezing: describeFreezing(get(def, ['model', 'freeze'])),
    inputSize: finite(get(def, ['model', 'inputSize'])),
    epochsPlanned: finite(r.epochs?.planned) ?? finite(get(def, ['train', 'epochs'])),
  };
}

/** Accuracy reached, the compute and device time spent, and quality per unit of each. */
function qualityAndCost(r: RunRecord, wallSeconds: number | null) {
  const history = r.history ?? [];
  const best = r.best ?? bestFromHistory(history);
  const lastHistory = history.length > 0 ? history[history.length - 1] : undefined;
  const flops = finite(r.compute?.flops);
  const deviceSeconds = finite(r.compute?.seconds) ?? wallSeconds;
  const test = finite(r.final?.testAccuracy);
  const quality = test ?? finite(best?.valAccuracy);
  return {
    epochsCompleted: finite(r.epochs?.completed) ?? (lastHistory ? lastHistory.epoch + 1 : null),
    bestValAccuracy: finite(best?.valAccuracy),
    bestEpoch: finite(best?.epoch),
    finalValAccuracy: finite(r.final?.valAccuracy) ?? finite(lastHistory?.valAccuracy),
    finalTestAccuracy: test,
    flops,
    deviceSeconds,
    quality,
    qualitySource: test !== null ? ('test' as const) : quality !== null ? ('validation' as const) : null,
    accuracyPerPflop: quality !== null && flops ? quality / (flops / 1e15) : null,
    accuracyPerDeviceHour: quality !== null && deviceSeconds ? quality / (deviceSeconds / 3600) : null,
  };
}

export function summarize(input: SummaryInput): RunSummary {
  const { id, record: r, warnings, lastUpdateMs, nowMs, staleAfterMs } = input;
  const status: RunStatus = r.status ?? 'unknown';
  const start = parseTime(r.startTime);
  const end = parseTime(r.endTime) ?? (status === 'running' ? lastUpdateMs : null);
  const wallSeconds = start !== null && end !== null ? Math.max(0, (end - start) / 1000) : null;
  const segments = id.split('/');
  return {
    id,
    experiment: r.experiment ?? (segments.length > 1 ? segments.slice(0, -1).join('/') : id),
    name: r.name ?? null,
    status,
    stale: status === 'running' && nowMs - lastUpdateMs > staleAfterMs,
    deadReason: status === 'running' ? (input.deadReason ?? null) : null,
    progress: status === 'running' && r.progress ? describeProgress(r.progress) : null,
    error: r.error ?? null,
    ...fromDefinition(r),
    ...qualityAndCost(r, wallSeconds),
    wallSeconds,
    imagesPerSecond: finite(r.imagesPerSecond),
    trainableParams: finite(r.params?.model?.trainable),
    totalParams: finite(r.params?.model?.total),
    macsPerImage: finite(r.macsPerImage),
    startTime: r.startTime ?? null,
    endTime: r.endTime ?? null,
    backend: r.backend?.name ?? null,
    warnings,
  };
}

function describeProgress(p: NonNullable<RunRecord['progress']>): string {
  const count = (n: number): string => Math.round(n).toLocaleString('en-US');
  return `${p.phase}${p.split ? ` ${p.split}` : ''} ${count(p.done)} / ${count(p.total)}`;
}
