import { afterEach, describe, expect, it, vi } from 'vitest';
import { debounce, latestOnly } from './latest';
import { mergeLog } from './logs';
import { href, parseHash } from './stores/router';
import { byLine } from './stores/config';

describe('router', () => {
  it('parses hashes and falls back to the default page', () => {
    expect(parseHash('#/settings')).toEqual({ page: 'settings' });
    expect(parseHash('#/history/run%2F7')).toEqual({ page: 'history', param: 'run/7' });
    expect(parseHash('#/jobs/run7')).toEqual({ page: 'history', param: 'run7' });
    expect(parseHash('')).toEqual({ page: 'transfer' });
    expect(parseHash('#/nowhere')).toEqual({ page: 'transfer' });
    expect(parseHash(href('history', 'a b'))).toEqual({ page: 'history', param: 'a b' });
  });
});

describe('mergeLog', () => {
  const l = (time: string, message: string) => ({ time, level: 'info', message });

  it('appends live lines the fetch did not have, once', () => {
    const fetched = [l('1', 'a'), l('2', 'b')];
    const live = [l('2', 'b'), l('3', 'c'), l('3', 'c')];
    expect(mergeLog(fetched, live).map((x) => x.message)).toEqual(['a', 'b', 'c']);
  });
});

describe('byLine', () => {
  it('groups problems by line', () => {
    const m = byLine([
      { line: 3, column: 1, message: 'x' },
      { line: 3, column: 9, message: 'y' },
      { line: 5, column: 2, message: 'z' },
    ]);
    expect([...m.keys()]).toEqual([3, 5]);
    expect(m.get(3)!.map((p) => p.message)).toEqual(['x', 'y']);
  });
});

describe('latestOnly', () => {
  it('drops answers to superseded calls', async () => {
    const resolvers: ((v: string) => void)[] = [];
    const got: string[] = [];
    const run = latestOnly((_: string) => new Promise<string>((r) => resolvers.push(r)), (v) => got.push(v));
    run('first');
    run('second');
    resolvers[1]('second answer');
    resolvers[0]('first answer');
    await new Promise((r) => setTimeout(r, 0));
    expect(got).toEqual(['second answer']);
  });
});

describe('debounce', () => {
  afterEach(() => vi.useRealTimers());

  it('calls once with the last arguments after a pause, or at once on flush', () => {
    vi.useFakeTimers();
    const calls: string[] = [];
    const d = debounce((s: string) => calls.push(s), 100);
    d('a');
    d('b');
    vi.advanceTimersByTime(99);
    expect(calls).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(calls).toEqual(['b']);
    d('c');
    d.flush();
    expect(calls).toEqual(['b', 'c']);
    vi.advanceTimersByTime(200);
    expect(calls).toEqual(['b', 'c']);
  });
});
