import { get } from 'svelte/store';
import { beforeEach, describe, expect, it } from 'vitest';
import { connectJobs, createJobsStore, percentOf, runningJobs, type JobsStore } from './jobs';
import type { JobSnapshot, Progress } from '../types';

const p = (itemsDone: number, extra: Partial<Progress> = {}): Progress => ({
  phase: 'copy',
  bytesDone: itemsDone * 100,
  bytesTotal: 1000,
  itemsDone,
  itemsTotal: 10,
  ...extra,
});

describe('jobs store', () => {
  let clock: number;
  let jobs: JobsStore;

  beforeEach(() => {
    clock = 0;
    jobs = createJobsStore(() => clock);
  });

  it('follows progress reports', () => {
    jobs.applyProgress({ id: 'a', kind: 'gather', progress: p(2) });
    clock = 1000;
    jobs.applyProgress({ id: 'a', kind: 'gather', progress: p(5, { phase: 'push' }) });
    const job = jobs.get('a')!;
    expect(job.state).toBe('running');
    expect(job.kind).toBe('gather');
    expect(job.percent).toBe(50);
    expect(job.progress.phase).toBe('push');
    expect(job.rate).toBeCloseTo(300); // 300 bytes in one second
    expect(job.rateUnit).toBe('bytes');
  });

  it('never moves progress backwards when reports arrive out of order', () => {
    jobs.applyProgress({ id: 'a', kind: 'gather', progress: p(6, { phase: 'late' }) });
    jobs.applyProgress({ id: 'a', kind: 'gather', progress: p(3, { phase: 'early' }) });
    const job = jobs.get('a')!;
    expect(job.progress.itemsDone).toBe(6);
    expect(job.progress.phase).toBe('late');
    expect(job.percent).toBe(60);
  });

  it('keeps the percentage when the total grows', () => {
    jobs.applyProgress({ id: 'a', kind: 'gather', progress: p(5) });
    // More blobs discovered: 600 of 2000 bytes is less than the 50% shown.
    jobs.applyProgress({ id: 'a', kind: 'gather', progress: p(6, { bytesTotal: 2000 }) });
    expect(jobs.get('a')!.percent).toBe(50);
  });

  it('counts items when no bytes are reported', () => {
    jobs.applyProgress({ id: 'a', kind: 'scatter', progress: p(1, { bytesDone: 0, bytesTotal: 0 }) });
    clock = 2000;
    jobs.applyProgress({ id: 'a', kind: 'scatter', progress: p(5, { bytesDone: 0, bytesTotal: 0 }) });
    const job = jobs.get('a')!;
    expect(job.percent).toBe(50);
    expect(job.rateUnit).toBe('items');
    expect(job.rate).toBeCloseTo(2);
  });

  it('keeps a finished job finished whatever arrives later', () => {
    jobs.applyProgress({ id: 'a', kind: 'demo', progress: p(3) });
    jobs.applyState({ id: 'a', kind: 'demo', state: 'cancelled', error: 'cancelled by operator' });
    jobs.applyProgress({ id: 'a', kind: 'demo', progress: p(4) });
    jobs.applyState({ id: 'a', kind: 'demo', state: 'running' });
    jobs.applyState({ id: 'a', kind: 'demo', state: 'succeeded' });
    const job = jobs.get('a')!;
    expect(job.state).toBe('cancelled');
    expect(job.error).toBe('cancelled by operator');
    expect(job.progress.itemsDone).toBe(3);
    expect(get(runningJobs)).toEqual([]);
  });

  it('shows a succeeded job as complete', () => {
    jobs.applyProgress({ id: 'a', kind: 'demo', progress: p(9) });
    jobs.applyState({ id: 'a', kind: 'demo', state: 'succeeded' });
    expect(jobs.get('a')!.percent).toBe(100);
  });

  it('remembers a job that ended before its first progress report', () => {
    jobs.applyState({ id: 'a', kind: 'demo', state: 'failed', error: 'boom' });
    jobs.applyProgress({ id: 'a', kind: 'demo', progress: p(1) });
    expect(jobs.get('a')).toMatchObject({ state: 'failed', error: 'boom', percent: null });
  });

  it('does not notify subscribers of a stale report', () => {
    jobs.applyProgress({ id: 'a', kind: 'demo', progress: p(5) });
    let calls = 0;
    const off = jobs.subscribe(() => calls++);
    jobs.applyProgress({ id: 'a', kind: 'demo', progress: p(4) });
    off();
    expect(calls).toBe(1); // the initial call only
  });

  it('seeds from a snapshot without undoing newer events', () => {
    jobs.applyProgress({ id: 'a', kind: 'gather', progress: p(7) });
    jobs.applyState({ id: 'b', kind: 'demo', state: 'cancelled' });
    const snaps: JobSnapshot[] = [
      { id: 'a', kind: 'gather', args: '', error: '', state: 'running', startedAt: '2025-01-01T00:00:00Z', progress: p(5) },
      { id: 'b', kind: 'demo', args: '', error: '', state: 'running', startedAt: '2025-01-01T00:00:00Z', progress: p(1) },
      { id: 'c', kind: 'serialize', args: '', error: '', state: 'running', startedAt: '2025-01-01T00:00:00Z', progress: p(2) },
    ];
    jobs.seed(snaps);
    expect(jobs.get('a')).toMatchObject({ state: 'running', startedAt: '2025-01-01T00:00:00Z' });
    expect(jobs.get('a')!.progress.itemsDone).toBe(7);
    expect(jobs.get('b')!.state).toBe('cancelled');
    expect(jobs.get('c')).toMatchObject({ kind: 'serialize', state: 'running', percent: 20 });
  });

  it('forgets old finished jobs but never a running one', () => {
    jobs.applyProgress({ id: 'live', kind: 'gather', progress: p(1) });
    for (let i = 0; i < 50; i++) jobs.applyState({ id: `done-${i}`, kind: 'demo', state: 'succeeded' });
    const map = get(jobs);
    expect(map.has('live')).toBe(true);
    expect(map.has('done-49')).toBe(true);
    expect(map.has('done-0')).toBe(false);
    expect(map.size).toBeLessThanOrEqual(21);
  });
});

describe('percentOf', () => {
  it('prefers bytes, falls back to items, and is null without a total', () => {
    expect(percentOf(p(1))).toBe(10);
    expect(percentOf(p(3, { bytesTotal: 0 }))).toBe(30);
    expect(percentOf(p(3, { bytesTotal: 0, itemsTotal: 0 }))).toBeNull();
    expect(percentOf(p(20))).toBe(100);
  });
});

describe('connectJobs', () => {
  type Cb = (data: any) => void;
  function fakeBus() {
    const subs = new Map<string, Set<Cb>>();
    return {
      on: (name: string, cb: Cb) => {
        if (!subs.has(name)) subs.set(name, new Set());
        subs.get(name)!.add(cb);
        return () => subs.get(name)!.delete(cb);
      },
      emit: (name: string, data: unknown) => subs.get(name)?.forEach((cb) => cb(data)),
      count: () => [...subs.values()].reduce((n, s) => n + s.size, 0),
    };
  }
  const tick = () => new Promise((r) => setTimeout(r, 0));

  it('feeds the store from events and stops when asked', async () => {
    const jobs = createJobsStore();
    const bus = fakeBus();
    const stop = connectJobs(jobs, { activeJobs: async () => [], getRun: async () => ({ status: 'succeeded' }) }, bus.on);
    bus.emit('job:progress', { id: 'a', kind: 'demo', progress: p(2) });
    bus.emit('job:state', { id: 'a', kind: 'demo', state: 'cancelled' });
    expect(jobs.get('a')).toMatchObject({ state: 'cancelled', percent: 20 });
    stop();
    expect(bus.count()).toBe(0);
  });

  it('after a reconnect, learns how jobs that vanished ended', async () => {
    const jobs = createJobsStore();
    const bus = fakeBus();
    let active: JobSnapshot[] = [
      { id: 'a', kind: 'demo', args: '', error: '', state: 'running', startedAt: '', progress: p(1) },
      { id: 'b', kind: 'demo', args: '', error: '', state: 'running', startedAt: '', progress: p(1) },
    ];
    connectJobs(
      jobs,
      {
        activeJobs: async () => active,
        getRun: async (id) => ({ status: id === 'a' ? 'failed' : 'running', error: 'lost drive' }),
      },
      bus.on,
    );
    await tick();
    expect(jobs.get('a')!.state).toBe('running');

    active = [{ id: 'b', kind: 'demo', args: '', error: '', state: 'running', startedAt: '', progress: p(4) }];
    bus.emit('bridge:reconnect', null);
    await tick();
    await tick();
    expect(jobs.get('a')).toMatchObject({ state: 'failed', error: 'lost drive' });
    expect(jobs.get('b')).toMatchObject({ state: 'running', percent: 40 });
  });
});
