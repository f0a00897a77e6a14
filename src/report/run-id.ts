/**
 * A run id is a `/`-separated path relative to the logdir. Ids from requests are only ever looked up
 * among discovered runs; this check rejects traversal shapes early so they never reach the filesystem.
 */
export function isPlausibleRunId(id: string): boolean {
  if (id.length === 0 || id.length > 1024) return false;
  if (id.includes('\\') || id.includes('\0') || id.startsWith('/') || /^[A-Za-z]:/.test(id)) return false;
  return id.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

/** URL path for a run id: each segment percent-encoded, the `/` kept. */
export function encodeRunPath(id: string): string {
  return id.split('/').map(encodeURIComponent).join('/');
}
