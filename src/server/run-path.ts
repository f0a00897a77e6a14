import { isPlausibleRunId } from '../report/run-id.ts';

/**
 * Decodes the run id from the path after a route prefix. Every segment is percent-decoded on its
 * own; a segment that decodes to something holding `/` or `\`, or to `.`/`..`, makes the id invalid.
 */
export function runIdFromPath(rawPath: string, prefix: string, suffix = ''): string | null {
  const path = rawPath.split('?')[0];
  if (!path.startsWith(prefix)) return null;
  let rest = path.slice(prefix.length);
  if (suffix) {
    if (!rest.endsWith(suffix)) return null;
    rest = rest.slice(0, -suffix.length);
  }
  const segments: string[] = [];
  for (const raw of rest.split('/')) {
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (seg.includes('/') || seg.includes('\\')) return null;
    segments.push(seg);
  }
  const id = segments.join('/');
  return isPlausibleRunId(id) ? id : null;
}
