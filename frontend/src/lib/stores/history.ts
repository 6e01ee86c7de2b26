// The History page's filters and runs (running ones included), kept while the
// operator visits other pages.

import { get, writable } from 'svelte/store';
import { api, errorMessage } from '../api';
import { debounce, latestOnly } from '../latest';
import type { Run, RunFilter } from '../types';
import { formatBytes } from '../format';

export interface HistoryFilter {
  kind: string;
  status: string;
  text: string;
  /** Local dates, YYYY-MM-DD, from the date inputs; '' for no bound. */
  since: string;
  until: string;
}

export interface HistoryState extends HistoryFilter {
  runs: Run[];
  loading: boolean;
  error: string;
}

export const historyLimit = 500;

export const history = writable<HistoryState>({ kind: '', status: '', text: '', since: '', until: '', runs: [], loading: false, error: '' });

const patch = (p: Partial<HistoryState>) => history.update((s) => ({ ...s, ...p }));

/** The backend filter for the page's fields: whole local days, the until day included. */
export function toRunFilter(f: HistoryFilter, limit = historyLimit): RunFilter {
  const out: RunFilter = { limit };
  if (f.kind) out.kind = f.kind;
  if (f.status) out.status = f.status;
  if (f.text.trim()) out.text = f.text.trim();
  const day = (s: string) => {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
    return m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : null;
  };
  const since = day(f.since);
  if (since) out.since = since.toISOString();
  const until = day(f.until);
  if (until) {
    until.setDate(until.getDate() + 1);
    out.until = until.toISOString();
  }
  return out;
}

const fetchRuns = latestOnly(
  (f: RunFilter) => api.listRuns(f),
  (runs) => patch({ runs, loading: false, error: '' }),
  (e) => patch({ loading: false, error: errorMessage(e) }),
);

export function refreshHistory(): void {
  patch({ loading: true });
  fetchRuns(toRunFilter(get(history)));
}

// Job state changes come in bursts when several jobs end together.
export const refreshHistorySoon = debounce(refreshHistory, 200);

export function setHistoryFilter(f: Partial<HistoryFilter>): void {
  patch(f);
  refreshHistorySoon();
}

export function clearHistoryFilter(): void {
  patch({ kind: '', status: '', text: '', since: '', until: '' });
  refreshHistory();
}

export function isFiltered(f: HistoryFilter): boolean {
  return !!(f.kind || f.status || f.text.trim() || f.since || f.until);
}

/** The options a run was started with, as label/value pairs for reading. */
export function optionPairs(options?: string): [string, string][] {
  if (!options) return [];
  let o: unknown;
  try {
    o = JSON.parse(options);
  } catch {
    return [['options', options]];
  }
  if (!o || typeof o !== 'object') return [];
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(o as Record<string, unknown>)) {
    if (v === null || v === undefined || v === '' || v === false || (Array.isArray(v) && v.length === 0)) continue;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0) continue;
    let text: string;
    if (Array.isArray(v)) text = v.map((x) => (typeof x === 'object' ? (x?.Ref ?? x?.ref ?? JSON.stringify(x)) : String(x))).join(', ');
    else if (typeof v === 'object') text = Object.entries(v as Record<string, unknown>).map(([a, b]) => `${a}=${typeof b === 'object' ? JSON.stringify(b) : b}`).join(', ');
    // Sizes read as the forms take them (1 MiB), not as 1048576.
    else if (typeof v === 'number' && /size|bytes/i.test(k)) text = formatBytes(v);
    else text = String(v);
    out.push([k, text]);
  }
  return out;
}
