/**
 * TensorBoard's scalar smoothing: a debiased exponential moving average
 * (tensorboard/webapp/widgets/line_chart_v2/data_transformer.ts, `classicSmoothing`).
 * The accumulator starts at 0 and is divided by 1 − weight^n so early points are not pulled to 0;
 * non-finite values pass through without touching the accumulator, and a constant series stays as is.
 */
export function tbSmooth(values: readonly number[], weight: number): number[] {
  if (!(weight > 0)) return values.slice();
  const w = Math.min(weight, 1);
  const first = values[0];
  const isConstant = values.every((v) => v === first);
  if (isConstant) return values.slice();
  let last = values.length > 0 ? 0 : NaN;
  let numAccum = 0;
  return values.map((next) => {
    if (!Number.isFinite(next)) return next;
    last = last * w + (1 - w) * next;
    numAccum += 1;
    const debias = w === 1 ? 1 : 1 - Math.pow(w, numAccum);
    return last / debias;
  });
}
