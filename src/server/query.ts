import { MAX_COMPARED_RUNS } from '../report/pages/compare-page.ts';

/** Run ids from `?runs=a,b` (or repeated `runs`), trimmed, at most MAX_COMPARED_RUNS. */
export function runIdsParam(value: unknown): string[] {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list
    .filter((v): v is string => typeof v === 'string')
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean)
    .slice(0, MAX_COMPARED_RUNS);
}

export function stringParam(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
