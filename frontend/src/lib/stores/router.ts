// Hash routing: "#/jobs/ID" -> { page: 'jobs', param: 'ID' }. Hash routes work
// the same under Wails, the bridge and file://, with no server fallback.

import { readable } from 'svelte/store';

export type PageId = 'sources' | 'mapping' | 'transfer' | 'jobs' | 'history' | 'drives' | 'settings';

export interface PageInfo {
  id: PageId;
  label: string;
  group: 'Workflow' | 'Records' | 'System';
}

export const pages: readonly PageInfo[] = [
  { id: 'sources', label: 'Sources', group: 'Workflow' },
  { id: 'mapping', label: 'Mapping', group: 'Workflow' },
  { id: 'transfer', label: 'Transfer', group: 'Workflow' },
  { id: 'jobs', label: 'Jobs', group: 'Records' },
  { id: 'history', label: 'History', group: 'Records' },
  { id: 'drives', label: 'Drives', group: 'System' },
  { id: 'settings', label: 'Settings', group: 'System' },
];

export const defaultPage: PageId = 'transfer';

export interface Route {
  page: PageId;
  param?: string;
}

export function parseHash(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const page = pages.find((p) => p.id === parts[0])?.id ?? defaultPage;
  const param = parts.length > 1 ? decodeURIComponent(parts.slice(1).join('/')) : undefined;
  return param ? { page, param } : { page };
}

export function href(page: PageId, param?: string): string {
  return param ? `#/${page}/${encodeURIComponent(param)}` : `#/${page}`;
}

export function navigate(page: PageId, param?: string): void {
  location.hash = href(page, param);
}

export const route = readable<Route>(parseHash(globalThis.location?.hash ?? ''), (set) => {
  if (typeof window === 'undefined') return;
  const update = () => set(parseHash(location.hash));
  window.addEventListener('hashchange', update);
  return () => window.removeEventListener('hashchange', update);
});
