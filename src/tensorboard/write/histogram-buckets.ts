// Bucketing of tf.summary.histogram (TB plugins/histogram/summary_v2.py `_buckets`): k equal-width
// buckets from min to max, rows [left, right, count]; a single distinct value gives k zero-width
// buckets with all counts in the last; empty data gives k all-zero rows.
export const DEFAULT_BUCKET_COUNT = 30;

/** Returns a row-major [k, 3] float64 array. Non-finite values are left out (TF would poison the range). */
export function histogramBuckets(values: ArrayLike<number>, bucketCount = DEFAULT_BUCKET_COUNT): Float64Array {
  const k = Math.max(0, Math.floor(bucketCount));
  const out = new Float64Array(k * 3);
  if (k === 0) return out;
  let min = Infinity;
  let max = -Infinity;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    n++;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (n === 0) return out;
  const range = max - min;
  if (range === 0) {
    for (let b = 0; b < k; b++) {
      out[b * 3] = max;
      out[b * 3 + 1] = max;
    }
    out[(k - 1) * 3 + 2] = n;
    return out;
  }
  const width = range / k;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    const b = Math.min(Math.floor((v - min) / width), k - 1);
    out[b * 3 + 2] += 1;
  }
  for (let b = 0; b < k; b++) {
    // tf.linspace(min, max, k + 1) with the last edge forced to max.
    out[b * 3] = min + (b * range) / k;
    out[b * 3 + 1] = b === k - 1 ? max : min + ((b + 1) * range) / k;
  }
  return out;
}
