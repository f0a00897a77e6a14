/** Run ids from `?runs=a,b` (or repeated `runs`), trimmed, at most 50. */
export function runIdsParam(value: unknown): string[] {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list
    .filter((v): v is string => typeof v === 'string')
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean)
    .slice(0, 50);
}

export function stringParam(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
