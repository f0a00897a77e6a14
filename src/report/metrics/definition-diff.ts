/** Flattens nested objects to dotted keys (`model.head.dropout`); arrays index as `dense.0.units`. */
export function flatten(value: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (value !== null && typeof value === 'object') {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
    if (entries.length === 0 && prefix) out[prefix] = Array.isArray(value) ? '[]' : '{}';
    for (const [key, child] of entries) flatten(child, prefix ? `${prefix}.${key}` : key, out);
  } else if (prefix) {
    out[prefix] = value;
  }
  return out;
}

interface DiffRow {
  key: string;
  /** One entry per run, in the order given; `undefined` when the run lacks the key. */
  values: unknown[];
}

/** Keys whose values differ between at least two of the definitions (missing counts as a value). */
export function definitionDiff(definitions: readonly unknown[]): { rows: DiffRow[]; sameCount: number } {
  const flats = definitions.map((d) => flatten(d ?? {}));
  const keys = [...new Set(flats.flatMap((f) => Object.keys(f)))].sort();
  const rows: DiffRow[] = [];
  let sameCount = 0;
  for (const key of keys) {
    const values = flats.map((f) => (key in f ? f[key] : undefined));
    const shown = values.map((v) => (v === undefined ? '\u0000missing' : JSON.stringify(v)));
    if (new Set(shown).size > 1) rows.push({ key, values });
    else sameCount += 1;
  }
  return { rows, sameCount };
}

export function formatDefinitionValue(value: unknown): string {
  if (value === undefined) return '—';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** The definition diff of a set of runs: one column per run, one row per differing key. */
export interface DiffView {
  headers: string[];
  rows: { key: string; cells: string[] }[];
  sameCount: number;
}

type DefinedRun = { summary: { id: string }; record: { definition?: Record<string, unknown> } };

export function definitionDiffView(runs: readonly DefinedRun[]): DiffView {
  const { rows, sameCount } = definitionDiff(runs.map((r) => r.record.definition ?? {}));
  return {
    headers: runs.map((r) => r.summary.id),
    rows: rows.map((row) => ({ key: row.key, cells: row.values.map(formatDefinitionValue) })),
    sameCount,
  };
}
