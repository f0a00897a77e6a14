import { createHash } from 'node:crypto';
import { encodeRunPath } from '../../run/layout.ts';

/** Where pages link to: the live site's routes or the static export's files. */
export interface SiteLinks {
  mode: 'server' | 'static';
  home: string;
  run(id: string): string;
  /** A sweep's page; '' where there is none (a static report without that sweep). */
  sweep(name: string): string;
  compare(ids: readonly string[], params?: Record<string, string>): string;
  /** URL of an image stored in a run's event files (server only; the static export inlines data URIs). */
  image(id: string, key: string, index: number): string | null;
  asset(name: string): string;
}

export const serverLinks: SiteLinks = {
  mode: 'server',
  home: '/',
  run: (id) => `/runs/${encodeRunPath(id)}`,
  sweep: (name) => `/sweeps/${encodeURIComponent(name)}`,
  compare: (ids, params = {}) => {
    const q = new URLSearchParams({ runs: ids.join(','), ...params });
    return `/compare?${q.toString()}`;
  },
  image: (id, key, index) => {
    const q = new URLSearchParams({ tag: key, index: String(index) });
    return `/api/runs/${encodeRunPath(id)}/image?${q.toString()}`;
  },
  asset: (name) => `/static/${name}`,
};

/** `<prefix>-<readable>-<hash>.<ext>`: readable, unique, safe on every filesystem, whatever the logdir holds. */
function staticFile(prefix: string, key: string, ext: string): string {
  const readable = key
    .replace(/[^A-Za-z0-9_.-]+/g, '_')
    .replace(/^[._]+/, '')
    .slice(0, 80);
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 8);
  return `${prefix}-${readable}-${hash}.${ext}`;
}

/** A file name for a run's page in the static export. */
export const staticRunFile = (id: string): string => staticFile('run', id, 'html');

/** The file names of a sweep's page and its JSON in the static export. */
export const staticSweepFile = (name: string, ext: 'html' | 'json' = 'html'): string => staticFile('sweep', name, ext);

export function staticLinks(compareFile: string | null): SiteLinks {
  return {
    mode: 'static',
    home: 'index.html',
    run: (id) => staticRunFile(id),
    sweep: (name) => staticSweepFile(name),
    compare: () => compareFile ?? 'index.html',
    image: () => null,
    asset: (name) => name,
  };
}
