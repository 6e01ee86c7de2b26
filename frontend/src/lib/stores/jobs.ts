// Jobs the UI knows about, fed by job:progress and job:state events.
// Events may arrive out of order (the Wails dev server and a reconnecting
// browser both reorder them), so two rules hold whatever the order:
// progress never moves backwards, and a finished job stays finished.

import { derived, get, writable, type Readable } from 'svelte/store';
import type { JobProgressEvent, JobSnapshot, JobStateEvent, Progress } from '../types';
import { isFinished } from '../types';

export interface JobView {
  id: string;
  kind: string;
  /** One of the JobState values, as the backend reports it. */
  state: string;
  startedAt?: string;
  error?: string;
  progress: Progress;
  /** 0..100, never decreasing; null while the total is unknown. */
  percent: number | null;
  /** Bytes (or items, when no bytes are reported) per second, smoothed. */
  rate: number;
  rateUnit: 'bytes' | 'items';
  /** Millisecond clock of the last accepted report. */
  updatedAt: number;
}

const emptyProgress: Progress = { phase: '', bytesDone: 0, bytesTotal: 0, itemsDone: 0, itemsTotal: 0 };

/** Fraction done of a report in percent, or null when no total is known. */
export function percentOf(p: Progress): number | null {
  if (p.bytesTotal > 0) return Math.min(100, (100 * p.bytesDone) / p.bytesTotal);
  if (p.itemsTotal > 0) return Math.min(100, (100 * p.itemsDone) / p.itemsTotal);
  return null;
}

/** True when `next` reports less done than `cur`: it was overtaken by a later report. */
export function isStale(cur: Progress, next: Progress): boolean {
  return next.bytesDone < cur.bytesDone || next.itemsDone < cur.itemsDone;
}

// Weight of the newest sample in the smoothed rate.
const rateWeight = 0.3;
// Finished jobs kept for the status bar and cards; older ones are in the run history.
const keepFinished = 20;

export interface JobsStore extends Readable<Map<string, JobView>> {
  applyProgress(e: JobProgressEvent): void;
  applyState(e: JobStateEvent): void;
  seed(snapshots: JobSnapshot[]): void;
  get(id: string): JobView | undefined;
}

export function createJobsStore(now: () => number = () => Date.now()): JobsStore {
  const store = writable(new Map<string, JobView>());

  function blank(id: string, kind: string): JobView {
    return {
      id,
      kind,
      state: 'running',
      progress: { ...emptyProgress },
      percent: null,
      rate: 0,
      rateUnit: 'items',
      updatedAt: now(),
    };
  }

  function prune(map: Map<string, JobView>) {
    const finished = [...map.values()].filter((j) => isFinished(j.state));
    for (const j of finished.slice(0, Math.max(0, finished.length - keepFinished))) map.delete(j.id);
  }

  function mergeProgress(job: JobView, p: Progress): JobView {
    if (isFinished(job.state) || isStale(job.progress, p)) return job;
    const t = now();
    const useBytes = p.bytesDone > 0 || p.bytesTotal > 0;
    const unit = useBytes ? 'bytes' : 'items';
    const delta = useBytes ? p.bytesDone - job.progress.bytesDone : p.itemsDone - job.progress.itemsDone;
    const dt = (t - job.updatedAt) / 1000;
    let rate = unit === job.rateUnit ? job.rate : 0;
    if (dt > 0 && delta >= 0) {
      const sample = delta / dt;
      rate = rate === 0 ? sample : rate + rateWeight * (sample - rate);
    }
    const pct = percentOf(p);
    const percent = pct === null ? job.percent : Math.max(job.percent ?? 0, pct);
    return { ...job, progress: { ...p }, percent, rate, rateUnit: unit, updatedAt: t };
  }

  function mergeState(job: JobView, state: string, error?: string): JobView {
    if (isFinished(job.state)) return job;
    if (state === 'running') return job;
    return {
      ...job,
      state,
      error: error || job.error,
      percent: state === 'succeeded' ? 100 : job.percent,
      rate: 0,
      updatedAt: now(),
    };
  }

  return {
    subscribe: store.subscribe,

    applyProgress(e) {
      if (!e?.id || !e.progress) return;
      const map = get(store);
      const cur = map.get(e.id) ?? blank(e.id, e.kind);
      const next = mergeProgress(cur, e.progress);
      // Stale reports change nothing: skip the notification too.
      if (next === cur && map.has(e.id)) return;
      store.set(new Map(map).set(e.id, next));
    },

    applyState(e) {
      if (!e?.id || !e.state) return;
      store.update((old) => {
        const map = new Map(old);
        const cur = map.get(e.id) ?? blank(e.id, e.kind);
        map.set(e.id, mergeState(cur, e.state, e.error));
        prune(map);
        return map;
      });
    },

    seed(snapshots) {
      store.update((old) => {
        const map = new Map(old);
        for (const s of snapshots) {
          let job = map.get(s.id) ?? { ...blank(s.id, s.kind), startedAt: s.startedAt };
          if (!job.startedAt) job = { ...job, startedAt: s.startedAt };
          if (s.progress) job = mergeProgress(job, s.progress);
          job = mergeState(job, s.state);
          map.set(s.id, job);
        }
        prune(map);
        return map;
      });
    },

    get(id) {
      return get(store).get(id);
    },
  };
}

export const jobs = createJobsStore();

/** Running jobs, oldest first. */
export const runningJobs: Readable<JobView[]> = derived(jobs, (map) =>
  [...map.values()].filter((j) => j.state === 'running'),
);

interface JobsSource {
  activeJobs(): Promise<JobSnapshot[]>;
  getRun(id: string): Promise<{ status: string; error?: string }>;
}
type Subscribe = (name: any, cb: (data: any) => void) => () => void;

/**
 * Feeds a jobs store from backend events and seeds it with the jobs already
 * running; seeds again whenever the event stream reports it may have missed
 * events. Returns a function that stops it.
 */
export function connectJobs(store: JobsStore, source: JobsSource, on: Subscribe): () => void {
  const resync = async () => {
    let list: JobSnapshot[];
    try {
      list = await source.activeJobs();
    } catch (e) {
      console.warn('could not list active jobs', e);
      return;
    }
    store.seed(list);
    // Jobs we saw running that are no longer active ended while we were not
    // listening: their run record says how.
    const active = new Set(list.map((j) => j.id));
    for (const job of get(store).values()) {
      if (job.state !== 'running' || active.has(job.id)) continue;
      source.getRun(job.id).then(
        (run) => store.applyState({ id: job.id, kind: job.kind, state: run.status, error: run.error }),
        () => {},
      );
    }
  };
  const offs = [
    on('job:progress', (e: JobProgressEvent) => store.applyProgress(e)),
    on('job:state', (e: JobStateEvent) => store.applyState(e)),
    on('bridge:reconnect', resync),
  ];
  void resync();
  return () => offs.forEach((off) => off());
}
