// The Jobs page's list of runs and its filter, kept while the operator
// visits other pages.

import { get, writable } from 'svelte/store';
import { api, errorMessage } from '../api';
import { debounce, latestOnly } from '../latest';
import type { Run } from '../types';

export interface RunsState {
  status: string;
  text: string;
  runs: Run[];
  loading: boolean;
  error: string;
}

export const runs = writable<RunsState>({ status: '', text: '', runs: [], loading: false, error: '' });

const patch = (p: Partial<RunsState>) => runs.update((s) => ({ ...s, ...p }));

export const runsLimit = 200;

const fetchRuns = latestOnly(
  (status: string, text: string) => api.listRuns({ status: status || undefined, text: text || undefined, limit: runsLimit }),
  (list) => patch({ runs: list, loading: false, error: '' }),
  (e) => patch({ loading: false, error: errorMessage(e) }),
);

export function refreshRuns(): void {
  const s = get(runs);
  patch({ loading: true });
  fetchRuns(s.status, s.text);
}

// Job state changes come in bursts when several jobs end together.
export const refreshRunsSoon = debounce(refreshRuns, 200);

export function setRunFilter(f: Partial<Pick<RunsState, 'status' | 'text'>>): void {
  patch(f);
  refreshRunsSoon();
}
