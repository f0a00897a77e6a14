import { createHash } from 'node:crypto';
import { encodeRunPath } from '../../run/layout.ts';

/** Where pages link to: the live site's routes or the static export's files. */
export interface SiteLinks {
  mode: 'server' | 'static';
  home: string;
  run(id: string): string;
  compare(ids: readonly string[], params?: Record<string, string>): string;
  /** URL of an image stored in a run's event files (server only; the static export inlines data URIs). */
  image(id: string, key: string, index: number): string | null;
  asset(name: string): string;
}

export const serverLinks: SiteLinks = {
  mode: 'server',
  home: '/',
  run: (id) => `/runs/${encodeRunPath(id)}`,
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

/** A file name for a run's page in the static export: readable, unique, safe on every filesystem. */
export function staticRunFile(id: string): string {
  const readable = id
    .replace(/[^A-Za-z0-9_.-]+/g, '_')
    .replace(/^[._]+/, '')
    .slice(0, 80);
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 8);
  return `run-${readable}-${hash}.html`;
}

export function staticLinks(compareFile: string | null): SiteLinks {
  return {
    mode: 'static',
    home: 'index.html',
    run: (id) => staticRunFile(id),
    compare: () => compareFile ?? 'index.html',
    image: () => null,
    asset: (name) => name,
  };
}
