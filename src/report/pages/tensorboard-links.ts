/** Escapes a literal for use inside a regular expression. */
function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Matches the TensorBoard runs of the given run directories (the run itself and its sub-runs). */
function runFilterRegex(runIds: readonly string[]): string {
  if (runIds.length === 0) return '';
  return `^(?:${runIds.map(escapeRegex).join('|')})(?:/|$)`;
}

function tagFilterRegex(tags: readonly string[]): string {
  if (tags.length === 0) return '';
  return `^(?:${[...new Set(tags)].map(escapeRegex).join('|')})$`;
}

interface TensorBoardLinks {
  /** Time Series dashboard (TB ≥ 2.8): `?runFilter=…&tagFilter=…&smoothing=…#timeseries`. */
  timeseries: string;
  /** Legacy Scalars dashboard: `#scalars&regexInput=…&tagFilter=…&_smoothingWeight=…`. */
  scalars: string;
}

/**
 * Deep links into a TensorBoard serving the same logdir. See the shared tensorboard-format notes §6:
 * the Time Series state lives in the query string, the legacy dashboards' state in the hash.
 */
export function tensorboardLinks(
  baseUrl: string,
  opts: { runIds: readonly string[]; tags?: readonly string[]; smoothing?: number },
): TensorBoardLinks {
  const runFilter = runFilterRegex(opts.runIds);
  const tagFilter = tagFilterRegex(opts.tags ?? []);
  const url = new URL(baseUrl);
  if (runFilter) url.searchParams.set('runFilter', runFilter);
  if (tagFilter) url.searchParams.set('tagFilter', tagFilter);
  if (opts.smoothing !== undefined) url.searchParams.set('smoothing', String(opts.smoothing));
  url.hash = 'timeseries';
  const legacy = new URL(baseUrl);
  legacy.search = '';
  const hash = ['scalars'];
  if (runFilter) hash.push(`regexInput=${encodeURIComponent(runFilter)}`);
  if (tagFilter) hash.push(`tagFilter=${encodeURIComponent(tagFilter)}`);
  if (opts.smoothing !== undefined) hash.push(`_smoothingWeight=${encodeURIComponent(String(opts.smoothing))}`);
  legacy.hash = hash.join('&');
  return { timeseries: url.toString(), scalars: legacy.toString() };
}
