import { describe, expect, it } from 'vitest';
import { listState, outcomeOf } from './outcome';
import type { RunDetail, RunItem } from '../types';

const item = (status: string, destination: string, bytes = 1): RunItem => ({ source: `low/${destination}`, destination, digest: '', status, error: status === 'failed' ? 'push refused' : '', bytes });

function run(p: Partial<RunDetail>): RunDetail {
  return {
    id: 'r1', kind: 'scatter', args: '', options: '', status: 'failed', error: '',
    startedAt: '2025-01-01T00:00:00Z', finishedAt: '2025-01-01T00:00:42Z',
    bytesDone: 0, bytesTotal: 0, itemsDone: 0, itemsTotal: 0, failures: 0, resumedFrom: '',
    items: [], media: [], blobsConfirmed: 0, bytesConfirmed: 0, lastOffset: 0,
    ...p,
  };
}

describe('outcome', () => {
  it('tells a partial delivery from a failure, weighted by images not bytes', () => {
    // Five small images landed, one large one failed: by bytes that would read as 1%.
    const items = [...['a', 'b', 'c', 'd', 'e'].map((d) => item('done', d, 1000)), item('failed', 'big', 238 * 1024 ** 2)];
    const o = outcomeOf(run({ items, bytesDone: 5000, bytesTotal: 238 * 1024 ** 2 }), 'failed', 1);
    expect(o.kind).toBe('partial');
    expect(o.tone).toBe('warn');
    expect(o.percent).toBeCloseTo((100 * 5) / 6);
    expect(o.text).toBe('5 of 6 images delivered in 42s; 1 failed: big.');
  });

  it('is a failure when nothing was delivered', () => {
    const o = outcomeOf(run({ items: [item('failed', 'x')], error: 'scatter: 1 failed' }), 'failed');
    expect(o.kind).toBe('failed');
    expect(o.percent).toBe(0);
    expect(o.text).toBe('Failed: scatter: 1 failed.');
  });

  it('lists what a check-only run planned', () => {
    const o = outcomeOf(run({ status: 'succeeded', items: [item('planned', 'a'), item('planned', 'b')] }), 'succeeded');
    expect(o.kind).toBe('checked');
    expect(o.planned).toHaveLength(2);
    expect(o.text).toBe('Checked in 42s: 2 destinations planned; nothing was pushed.');
    expect(outcomeOf(run({ items: [item('planned', 'a')] }), 'succeeded').text).toMatch(/1 destination planned/);
  });

  it('says a cancellation plainly, whatever the error text', () => {
    const o = outcomeOf(run({ items: [item('done', 'a'), item('failed', 'b')], error: 'context canceled' }), 'cancelled');
    expect(o.kind).toBe('cancelled');
    expect(o.text).toBe('Cancelled after 42s, with 1 of 2 images delivered. What was copied is recorded.');
  });

  it('follows the live bar while running', () => {
    expect(outcomeOf(null, 'running', 37)).toMatchObject({ kind: 'running', percent: 37, text: '' });
    expect(outcomeOf(run({ status: 'succeeded', items: [item('done', 'a')], bytesDone: 2048 }), 'succeeded').text).toBe('Finished in 42s: 1 image, 2 KiB.');
  });

  it('marks a partial run in the list', () => {
    expect(listState({ status: 'failed', failures: 1, itemsDone: 3 })).toBe('partial');
    expect(listState({ status: 'failed', failures: 1, itemsDone: 0 })).toBe('failed');
    expect(listState({ status: 'failed', failures: 1, itemsDone: 3 }, 'running')).toBe('running');
    expect(listState({ status: 'cancelled', failures: 1, itemsDone: 3 })).toBe('cancelled');
  });

  it('says what a dry run did instead of a delivery', () => {
    const r = run({ kind: 'deserialize', status: 'succeeded', options: JSON.stringify({ source: '/m/t.tar', dest: 'high/g:1', dryRun: true }), itemsDone: 7, bytesDone: 2048, items: [item('done', 'high/g:1')] });
    const o = outcomeOf(r, 'succeeded');
    expect(o.kind).toBe('checked');
    expect(o.planned).toHaveLength(1);
    expect(o.text).toBe('Dry run in 42s: the medium was read and checked (7 blobs, 2 KiB); nothing was written to high/g:1.');
    expect(outcomeOf({ ...r, options: '{"dest":"high/g:1"}' }, 'succeeded').kind).toBe('succeeded');
    expect(outcomeOf({ ...r, options: 'not json' }, 'succeeded').kind).toBe('succeeded');
  });
});
