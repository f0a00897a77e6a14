import type { MeasuredRun } from './measured-run.ts';

/**
 * The whole cost of a run. compute.flops already counts feature extraction (cached or not); its
 * device time does not when the features came from the cache, so a cache hit is charged the
 * extraction time of the run that computed that cache (same cache key, in the pool of runs).
 */
export interface ChargedCost {
  flops: number | null;
  seconds: number | null;
  cacheHit: boolean;
  /** Said beside the cost: what was charged, or why the extraction could not be charged. */
  note: string | null;
}

type Pooled = Pick<MeasuredRun, 'summary' | 'record'>;

function extractionSecondsOf(key: string, pool: readonly Pooled[]): number | null {
  for (const run of pool) {
    const f = run.record.featureCache;
    const seconds = run.record.phases?.features;
    if (f?.used && !f.hit && f.key === key && typeof seconds === 'number' && seconds > 0) return seconds;
  }
  return null;
}

export function chargedCost(run: Pooled, pool: readonly Pooled[]): ChargedCost {
  const { summary: s, record } = run;
  const cache = record.featureCache;
  const own = { flops: s.flops, seconds: s.deviceSeconds };
  if (!cache?.used || !cache.hit) return { ...own, cacheHit: false, note: null };
  const extraction = cache.key ? extractionSecondsOf(cache.key, pool) : null;
  if (extraction === null || own.seconds === null) {
    return { ...own, cacheHit: true, note: 'feature-cache hit; the extraction that filled it is not in this logdir' };
  }
  const ownFeatures = record.phases?.features ?? 0;
  const seconds = own.seconds - ownFeatures + extraction;
  return {
    flops: own.flops,
    seconds,
    cacheHit: true,
    note: `feature-cache hit, charged ${extraction.toFixed(1)} s extraction`,
  };
}
