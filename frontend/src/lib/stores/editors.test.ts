import { get } from 'svelte/store';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkDelay, editSources, inspectionTotals, inspectSources, resetSources, saveVersion, sourcesDoc } from './sources';
import { editRules, mapping, previewDelay, previewRequest, requestPreview, resetMapping, setMapperKind, setMapping, shownPreview } from './mapping';
import { createMediumStore } from './medium';
import { optionPairs, toRunFilter } from './history';
import { applyDefaults, editForm, resetTransfer, transfer } from './transfer';

type Fn = (...args: any[]) => Promise<unknown>;
function bind(methods: Record<string, Fn>) {
  (globalThis as any).window = { go: { main: { App: methods } } };
}

describe('sources store', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    resetSources();
  });
  afterEach(() => {
    vi.useRealTimers();
    delete (globalThis as any).window;
  });

  it('checks once typing pauses, and only the latest text counts', async () => {
    const seen: string[] = [];
    bind({
      CheckSources: async (text: string) => {
        seen.push(text);
        return { sources: [{ line: 1, ref: text }], problems: text.includes('!') ? [{ line: 1, severity: 'error', message: 'bad' }] : null };
      },
    });
    editSources('a');
    editSources('a!');
    editSources('a!b');
    expect(get(sourcesDoc).checking).toBe(true);
    await vi.advanceTimersByTimeAsync(checkDelay - 10);
    expect(seen).toEqual([]);
    await vi.advanceTimersByTimeAsync(20);
    expect(seen).toEqual(['a!b']);
    const s = get(sourcesDoc);
    expect(s).toMatchObject({ text: 'a!b', checking: false });
    expect(s.problems).toEqual([{ line: 1, severity: 'error', message: 'bad' }]);
  });

  it('drops an answer overtaken by a newer check', async () => {
    const answers: Record<string, (v: unknown) => void> = {};
    bind({ CheckSources: (text: string) => new Promise((r) => (answers[text] = r)) });
    editSources('old');
    await vi.advanceTimersByTimeAsync(checkDelay);
    editSources('new');
    await vi.advanceTimersByTimeAsync(checkDelay);
    answers.new({ sources: [], problems: [] });
    await vi.advanceTimersByTimeAsync(0);
    answers.old({ sources: [], problems: [{ line: 1, message: 'stale' }] });
    await vi.advanceTimersByTimeAsync(0);
    expect(get(sourcesDoc).problems).toEqual([]);
  });

  it('keeps inspection results by reference and totals them', async () => {
    bind({
      InspectSources: async () => [
        { ref: 'a.io/x:1', ok: true, size: 1000 },
        { ref: 'b.io/y:1', ok: false, size: 0, error: 'unauthorized' },
      ],
    });
    sourcesDoc.update((s) => ({ ...s, sources: [{ line: 1, ref: 'a.io/x:1' }, { line: 2, ref: 'b.io/y:1' }, { line: 3, ref: 'c.io/z:1' }, { line: 4, ref: 'a.io/x:1' }] }));
    await inspectSources();
    expect(inspectionTotals(get(sourcesDoc))).toEqual({ bytes: 1000, ok: 1, failed: 1, unchecked: 1 });
  });

  it('saves a named version and remembers the text as saved', async () => {
    const saved: unknown[] = [];
    bind({
      SaveDocument: async (...args: unknown[]) => (saved.push(args), 3),
      ListDocuments: async () => [],
    });
    sourcesDoc.update((s) => ({ ...s, text: 'a.io/x:1\n' }));
    expect(await saveVersion('  ')).toBe(false);
    expect(await saveVersion('march')).toBe(true);
    expect(saved[0]).toEqual(['sources', 'march', 'a.io/x:1\n', '{"sources":0,"problems":0}']);
    expect(get(sourcesDoc)).toMatchObject({ name: 'march', savedText: 'a.io/x:1\n' });
    expect(get(sourcesDoc).notice?.text).toBe('Saved "march" as version 3');
  });
});

describe('mapping store', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    resetMapping();
  });
  afterEach(() => {
    vi.useRealTimers();
    delete (globalThis as any).window;
  });

  it('keeps rules per mapper type', () => {
    setMapperKind('nest');
    editRules('high.io/a');
    setMapperKind('first-prefix');
    editRules('a/,b/\n');
    setMapperKind('nest');
    expect(get(mapping).rules.nest).toBe('high.io/a');
    expect(get(mapping).rules['first-prefix']).toBe('a/,b/\n');
  });

  it('previews about 150 ms after the last keystroke, with the sources or the index as input', async () => {
    const reqs: any[] = [];
    bind({ PreviewMapping: async (r: any) => (reqs.push(r), { result: { rows: [{ source: 'x', destinations: ['y'] }], counts: {} }, ruleProblems: [], inputProblem: '', millis: 1 }) });
    setMapperKind('nest');
    editRules('high.io/a');
    requestPreview('a.io/x:1\n');
    editRules('high.io/ab');
    requestPreview('a.io/x:1\n');
    await vi.advanceTimersByTimeAsync(previewDelay - 20);
    expect(reqs).toEqual([]);
    await vi.advanceTimersByTimeAsync(40);
    expect(reqs).toEqual([{ kind: 'nest', rules: 'high.io/ab', sourcesText: 'a.io/x:1\n', indexRef: '' }]);
    expect(get(mapping).previewing).toBe(false);
    // Asking again for the same thing costs nothing.
    requestPreview('a.io/x:1\n');
    await vi.advanceTimersByTimeAsync(previewDelay * 2);
    expect(reqs).toHaveLength(1);

    setMapping({ input: 'index', indexRef: ' reg.high/t/g:1 ' });
    expect(previewRequest(get(mapping), 'ignored')).toEqual({ kind: 'nest', rules: 'high.io/ab', sourcesText: '', indexRef: 'reg.high/t/g:1' });
    setMapping({ indexRef: '' });
    requestPreview('');
    expect(get(mapping).preview).toBeNull();
  });

  it('keeps the last good preview while a template is half typed', async () => {
    const good = { result: { rows: [{ source: 'a.io/x:1', destinations: ['high.io/x:1'] }], counts: {} }, ruleProblems: [], inputProblem: '', millis: 1 };
    const broken = { result: { rows: [], counts: {} }, ruleProblems: [{ line: 1, column: 4, message: 'unexpected "." in operand' }], inputProblem: '', millis: 1 };
    bind({ PreviewMapping: async (r: any) => (r.rules.includes('{{ .') && !r.rules.includes('}}') ? broken : good) });
    setMapperKind('go-template');
    editRules('high.io/{{ Tag (index .Annotations "s") }}');
    requestPreview('a.io/x:1\n', true);
    await vi.advanceTimersByTimeAsync(0);
    expect(shownPreview(get(mapping))).toMatchObject({ stale: false, preview: good });
    editRules('high.io/{{ .');
    requestPreview('a.io/x:1\n', true);
    await vi.advanceTimersByTimeAsync(0);
    expect(get(mapping).preview).toEqual(broken);
    expect(shownPreview(get(mapping))).toEqual({ stale: true, preview: good });
    // Another type has no good preview of its own yet.
    setMapperKind('nest');
    expect(shownPreview(get(mapping)).stale).toBe(false);
  });
});

describe('medium prompt store', () => {
  const prompt = (id: string, volume: number, message: string) => ({ id, volume, message, device: '/dev/nst0', syncId: '', write: true });
  it('queues one prompt per job and clears it once answered', async () => {
    const answers: [string, boolean][] = [];
    const m = createMediumStore(async (id, ok) => void answers.push([id, ok]));
    m.prompt(prompt('j1', 2, 'load volume 2'));
    m.prompt(prompt('j1', 3, 'load volume 3'));
    m.prompt(prompt('j2', 2, ''));
    expect(get(m).pending.map((p) => `${p.id}:${p.volume}`)).toEqual(['j1:3', 'j2:2']);
    expect(await m.answer('j1', true)).toBe(true);
    expect(answers).toEqual([['j1', true]]);
    expect(get(m).pending.map((p) => p.id)).toEqual(['j2']);
    m.forget('j2');
    expect(get(m).pending).toEqual([]);
  });

  it('keeps the prompt and shows why when the answer fails', async () => {
    const m = createMediumStore(async () => {
      throw new Error('job j1 is not waiting for a medium');
    });
    m.prompt(prompt('j1', 2, ''));
    expect(await m.answer('j1', true)).toBe(false);
    expect(get(m)).toMatchObject({ answering: false, error: 'job j1 is not waiting for a medium' });
    expect(get(m).pending).toHaveLength(1);
  });
});

describe('history filter', () => {
  it('turns local days into an RFC 3339 range including the until day', () => {
    const f = toRunFilter({ kind: 'gather', status: '', text: ' sha256:ab ', since: '2025-03-01', until: '2025-03-02' });
    expect(f.kind).toBe('gather');
    expect(f.status).toBeUndefined();
    expect(f.text).toBe('sha256:ab');
    expect(new Date(f.since!).getTime()).toBe(new Date(2025, 2, 1).getTime());
    expect(new Date(f.until!).getTime()).toBe(new Date(2025, 2, 3).getTime());
    expect(toRunFilter({ kind: '', status: '', text: '', since: 'junk', until: '' })).toEqual({ limit: 500 });
  });

  it('lists the options that were set', () => {
    expect(optionPairs('{"Dest":"a.io/b:1","Platforms":null,"Referrers":false,"Sources":[{"Ref":"x.io/y:1"}],"Annotations":{"k":"v"}}')).toEqual([
      ['Dest', 'a.io/b:1'],
      ['Sources', 'x.io/y:1'],
      ['Annotations', 'k=v'],
    ]);
    expect(optionPairs('not json')).toEqual([['options', 'not json']]);
    expect(optionPairs('{"BlockSize":1048576,"BufferSize":268435456,"Concurrency":4}')).toEqual([
      ['BlockSize', '1 MiB'],
      ['BufferSize', '256 MiB'],
      ['Concurrency', '4'],
    ]);
  });
});

describe('transfer store', () => {
  beforeEach(resetTransfer);

  it('fills sizes from the preferences once, without overwriting what was typed', () => {
    editForm('serialize', { blockSize: '256KiB' });
    applyDefaults({ theme: 'system', blockSize: '1MiB', bufferSize: '1GiB', concurrency: 4, dataDir: '', storeDir: '' });
    applyDefaults({ theme: 'system', blockSize: '4MiB', bufferSize: '4GiB', concurrency: 4, dataDir: '', storeDir: '' });
    const forms = get(transfer).forms;
    expect(forms.serialize).toMatchObject({ blockSize: '256KiB', bufferSize: '1GiB' });
    expect(forms.deserialize).toMatchObject({ blockSize: '1MiB', bufferSize: '1GiB' });
  });
});

