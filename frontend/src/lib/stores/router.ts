// Hash routing: "#/history/ID" -> { page: 'history', param: 'ID' }. Hash routes
// work the same under Wails, the bridge and file://, with no server fallback.

import { readable } from 'svelte/store';

export type PageId = 'sources' | 'mapping' | 'transfer' | 'history' | 'drives' | 'settings';

export interface PageInfo {
  id: PageId;
  label: string;
  group: 'Workflow' | 'Records' | 'System';
}

export const pages: readonly PageInfo[] = [
  { id: 'sources', label: 'Sources', group: 'Workflow' },
  { id: 'mapping', label: 'Mapping', group: 'Workflow' },
  { id: 'transfer', label: 'Transfer', group: 'Workflow' },
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
  // Jobs was a page of its own before History showed running jobs too: old links still land.
  const name = parts[0] === 'jobs' ? 'history' : parts[0];
  const page = pages.find((p) => p.id === name)?.id ?? defaultPage;
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
