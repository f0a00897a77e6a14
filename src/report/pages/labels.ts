/** Shortens a long label in the middle, where run paths tend to repeat themselves least. */
function ellipsize(label: string, max = 48): string {
  if (label.length <= max) return label;
  const head = Math.ceil((max - 1) * 0.4);
  return `${label.slice(0, head)}…${label.slice(label.length - (max - 1 - head))}`;
}

/** `experiment/name` of a run id; a run folder's timestamp is dropped when it has a name, shown as a time when not. */
function lastTwoSegments(id: string): string {
  const parts = id.split('/');
  const last = parts.pop()!;
  const m = /^(\d{8})-(\d{6})(?:-(.+))?$/.exec(last);
  const time = m ? `${m[1].slice(4, 6)}-${m[1].slice(6)} ${m[2].slice(0, 2)}:${m[2].slice(2, 4)}:${m[2].slice(4)}` : '';
  const tail = m ? (m[3] ?? time) : last;
  return [...parts.slice(-1), tail].join('/');
}

/**
 * Legend labels: the last two path segments, falling back to the full id wherever two labels would
 * collide; long labels are shortened in the middle.
 */
export function shortLabels(ids: readonly string[]): string[] {
  const short = ids.map(lastTwoSegments);
  const counts = new Map<string, number>();
  for (const s of short) counts.set(s, (counts.get(s) ?? 0) + 1);
  const labels = short.map((s, i) => ellipsize(counts.get(s)! > 1 ? ids[i] : s));
  // Middle-shortening can itself collide; number those.
  const seen = new Map<string, number>();
  return labels.map((l) => {
    const n = (seen.get(l) ?? 0) + 1;
    seen.set(l, n);
    return n > 1 ? `${l} (${n})` : l;
  });
}
