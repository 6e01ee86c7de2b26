import { get } from 'svelte/store';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { draftDelay, draftProblem, startDrafts, stopDrafts } from './drafts';
import { editSources, resetSources, sourcesDoc } from './sources';
import { editRules, mapping, resetMapping, setMapperKind, setRulesOrigin } from './mapping';
import { sampleRules } from '../model/rules';
import { editForm, resetTransfer, setOperation, transfer } from './transfer';

type Fn = (...args: any[]) => Promise<unknown>;
function bind(methods: Record<string, Fn>) {
  (globalThis as any).window = { go: { main: { App: methods } } };
}

describe('drafts', () => {
  let kept: Record<string, string>;
  let writes: string[];
  beforeEach(() => {
    vi.useFakeTimers();
    resetSources();
    resetMapping();
    resetTransfer();
    writes = [];
    bind({
      Draft: async (name: string) => kept[name] ?? '',
      SaveDraft: async (name: string, content: string) => {
        writes.push(name);
        kept[name] = content;
      },
      CheckSources: async () => ({ sources: [], problems: [] }),
    });
  });
  afterEach(() => {
    stopDrafts();
    vi.useRealTimers();
    delete (globalThis as any).window;
  });

  it('restores the sources text and the rules of every type, then keeps them as they change', async () => {
    kept = {
      sources: 'a.io/x:1\n',
      mapping: JSON.stringify({ kind: 'nest', rules: { nest: 'reg.high/m', 'first-prefix': 'a,b\n', bogus: 'x' }, origin: { nest: { name: 'n', version: 2, content: 'reg.high/m' } } }),
    };
    await startDrafts();
    expect(get(sourcesDoc).text).toBe('a.io/x:1\n');
    const m = get(mapping);
    expect(m.kind).toBe('nest');
    expect(m.rules.nest).toBe('reg.high/m');
    expect(m.rules['first-prefix']).toBe('a,b\n');
    expect(m.rules['go-template']).toBe(sampleRules('go-template'));
    expect(m.origin.nest).toEqual({ name: 'n', version: 2, content: 'reg.high/m' });
    // Restoring writes nothing back.
    await vi.advanceTimersByTimeAsync(draftDelay * 2);
    expect(writes).toEqual([]);

    editSources('a.io/x:1\nb.io/y:2\n');
    editSources('a.io/x:1\nb.io/y:3\n');
    setMapperKind('go-template');
    editRules('reg.high/{{ "t" }}');
    setRulesOrigin({ name: 't', version: 1, content: 'reg.high/{{ "t" }}' });
    await vi.advanceTimersByTimeAsync(draftDelay - 50);
    expect(writes).toEqual([]);
    await vi.advanceTimersByTimeAsync(100);
    expect(writes.sort()).toEqual(['mapping', 'sources']);
    expect(kept.sources).toBe('a.io/x:1\nb.io/y:3\n');
    const d = JSON.parse(kept.mapping);
    expect(d.kind).toBe('go-template');
    expect(d.rules.nest).toBe('reg.high/m');
    expect(d.rules['go-template']).toBe('reg.high/{{ "t" }}');
    expect(d.origin['go-template']).toEqual({ name: 't', version: 1, content: 'reg.high/{{ "t" }}' });
  });

  it('does not overwrite what the operator typed before the drafts arrived, and says when a draft cannot be kept', async () => {
    kept = { sources: 'old.io/x:1\n', mapping: 'not json' };
    editSources('typed.io/y:1\n');
    await startDrafts();
    expect(get(sourcesDoc).text).toBe('typed.io/y:1\n');
    expect(get(mapping).rules['go-template']).toBe(sampleRules('go-template'));
    (globalThis as any).window.go.main.App.SaveDraft = async () => {
      throw new Error('disk full');
    };
    editSources('typed.io/y:2\n');
    await vi.advanceTimersByTimeAsync(draftDelay + 10);
    expect(get(draftProblem)).toBe('Could not keep the sources draft: disk full');
  });

  it('keeps every Transfer form and the operation shown, and puts them back', async () => {
    kept = {
      transfer: JSON.stringify({ kind: 'scatter', forms: { scatter: { image: 'reg.high/t:1', check: true, bogus: 1 }, nope: { image: 'x' } }, jobs: { gather: 'run-1' }, handed: ['run-1'] }),
    };
    await startDrafts();
    const t = get(transfer);
    expect(t.kind).toBe('scatter');
    expect(t.forms.scatter).toMatchObject({ image: 'reg.high/t:1', check: true });
    expect(t.forms.scatter).not.toHaveProperty('bogus');
    expect(t.jobs).toEqual({ gather: 'run-1' });
    expect(t.handed).toEqual(['run-1']);
    await vi.advanceTimersByTimeAsync(draftDelay * 2);
    expect(writes).toEqual([]);
    setOperation('serialize');
    editForm('serialize', { path: '/m/t.tar' });
    await vi.advanceTimersByTimeAsync(draftDelay + 10);
    expect(writes).toEqual(['transfer']);
    const d = JSON.parse(kept.transfer);
    expect(d.kind).toBe('serialize');
    expect(d.forms.serialize.path).toBe('/m/t.tar');
    expect(d.forms.scatter.image).toBe('reg.high/t:1');
  });
});
