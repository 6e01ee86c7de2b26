import { afterEach, describe, expect, it } from 'vitest';
import { api, BackendError, errorMessage } from './api';

function bind(methods: Record<string, (...args: any[]) => Promise<unknown>>) {
  (globalThis as any).window = { go: { main: { App: methods } } };
}

describe('api', () => {
  afterEach(() => {
    delete (globalThis as any).window;
  });

  it('passes arguments through in order', async () => {
    let got: unknown[] = [];
    bind({ StartDemo: async (...args) => ((got = args), 'job-1') });
    expect(await api.startDemo(40, 250)).toBe('job-1');
    expect(got).toEqual([40, 250]);
  });

  it('turns a string rejection (as Wails gives) into an error with that message', async () => {
    bind({ SaveConfig: () => Promise.reject('line 3: unknown key "colour"') });
    const err = await api.saveConfig('colour: red').catch((e) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err.message).toBe('line 3: unknown key "colour"');
    expect(err.method).toBe('SaveConfig');
  });

  it('gives an empty list for a Go nil slice', async () => {
    bind({ ListRuns: async () => null, ValidateConfig: async () => null, RunLog: async () => null });
    expect(await api.listRuns()).toEqual([]);
    expect(await api.validateConfig('')).toEqual([]);
    expect(await api.runLog('x')).toEqual([]);
  });

  it('says so when the backend is missing', async () => {
    (globalThis as any).window = {};
    await expect(api.version()).rejects.toThrow('backend not available: Version');
  });

  it('reads a message out of anything thrown', () => {
    expect(errorMessage(new Error('a'))).toBe('a');
    expect(errorMessage('b')).toBe('b');
    expect(errorMessage({ message: 'c' })).toBe('c');
    expect(errorMessage(42)).toBe('42');
  });
});
