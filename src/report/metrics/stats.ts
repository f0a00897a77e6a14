/** Mean, sample standard deviation (n − 1; 0 for one value), extremes and count of the finite values. */
export interface Spread {
  n: number;
  mean: number;
  std: number;
  min: number;
  max: number;
}

export function spreadOf(values: readonly (number | null | undefined)[]): Spread | null {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (xs.length === 0) return null;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.length > 1 ? xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1) : 0;
  return { n: xs.length, mean, std: Math.sqrt(variance), min: Math.min(...xs), max: Math.max(...xs) };
}
