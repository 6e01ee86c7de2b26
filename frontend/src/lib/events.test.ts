import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { on, onJob, resetForTests } from './events';

type Cb = (data: unknown) => void;

// A stand-in for window.runtime that, like Wails, drops every listener of a
// name on EventsOff(name).
function fakeRuntime() {
  const listeners = new Map<string, Cb[]>();
  return {
    listeners,
    EventsOn(name: string, cb: Cb) {
      listeners.set(name, [...(listeners.get(name) ?? []), cb]);
    },
    EventsOff(name: string) {
      listeners.delete(name);
    },
    emit(name: string, data: unknown) {
      for (const cb of listeners.get(name) ?? []) cb(data);
    },
  };
}

describe('events', () => {
  let rt: ReturnType<typeof fakeRuntime>;

  beforeEach(() => {
    rt = fakeRuntime();
    (globalThis as any).window = { runtime: rt };
  });

  afterEach(() => {
    resetForTests();
    delete (globalThis as any).window;
  });

  it('one subscriber leaving does not silence another', () => {
    const a: unknown[] = [];
    const b: unknown[] = [];
    const offA = on('job:log', (e) => a.push(e));
    const offB = on('job:log', (e) => b.push(e));
    expect(rt.listeners.get('job:log')).toHaveLength(1);
    rt.emit('job:log', 1);
    offA();
    offA(); // twice is harmless
    rt.emit('job:log', 2);
    expect(a).toEqual([1]);
    expect(b).toEqual([1, 2]);
    offB();
    expect(rt.listeners.has('job:log')).toBe(false);
    rt.emit('job:log', 3);
    expect(b).toEqual([1, 2]);
  });

  it('uses the unsubscribe function the runtime returns when it has one', () => {
    let offs = 0;
    (globalThis as any).window.runtime = {
      EventsOn: () => () => offs++,
      EventsOff: () => {
        throw new Error('EventsOff must not be used');
      },
    };
    const off = on('job:state', () => {});
    off();
    expect(offs).toBe(1);
  });

  it('onJob passes only the events of its job', () => {
    const seen: string[] = [];
    const off = onJob('j1', {
      progress: (e) => seen.push(`progress ${e.progress.itemsDone}`),
      log: (e) => seen.push(`log ${e.message}`),
      state: (e) => seen.push(`state ${e.state}`),
    });
    rt.emit('job:progress', { id: 'j2', kind: 'demo', progress: { itemsDone: 9 } });
    rt.emit('job:progress', { id: 'j1', kind: 'demo', progress: { itemsDone: 1 } });
    rt.emit('job:log', { id: 'j1', time: '', level: 'info', message: 'hello' });
    rt.emit('job:log', { id: 'j2', time: '', level: 'info', message: 'other' });
    rt.emit('job:state', { id: 'j1', kind: 'demo', state: 'succeeded' });
    off();
    rt.emit('job:state', { id: 'j1', kind: 'demo', state: 'failed' });
    expect(seen).toEqual(['progress 1', 'log hello', 'state succeeded']);
    expect(rt.listeners.size).toBe(0);
  });

  it('a failing listener does not stop the others', () => {
    const seen: number[] = [];
    on('x', () => {
      throw new Error('boom');
    });
    on('x', (d) => seen.push(d as number));
    const error = console.error;
    console.error = () => {};
    try {
      rt.emit('x', 7);
    } finally {
      console.error = error;
    }
    expect(seen).toEqual([7]);
  });

  it('without a runtime, subscribing is a no-op', () => {
    (globalThis as any).window = {};
    const off = on('job:log', () => {});
    expect(() => off()).not.toThrow();
  });
});
