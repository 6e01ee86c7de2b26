import { describe, expect, it } from 'vitest';
import { blankForm, buildRequest, handOff, hasField, listOf, missingInputs, operations, parseAnnotations, restoreForm } from './transfer';

// What App.TransferFields answers for these kinds (ops' tags), in part.
const fields = {
  gather: ['kind', 'sourcesText', 'selectors', 'image', 'annotations', 'platforms', 'indexFallback', 'referrers'],
  serialize: ['kind', 'image', 'path', 'existing', 'referrers', 'force', 'compression', 'blockSize', 'bufferSize', 'volumeSize', 'hwm', 'checkpoint'],
  scatter: ['kind', 'selectors', 'image', 'mapper', 'mapperKind', 'mapperRules', 'referrers', 'check', 'continue'],
  deserialize: ['kind', 'image', 'path', 'strict', 'dryRun', 'blockSize'],
  verify: ['kind', 'path', 'strict', 'blockSize'],
};

const ctx = { sourcesText: 'docker.io/library/alpine:3.20\n', mapperKind: 'nest', mapperRules: 'high.io/mirror' };

describe('transfer forms', () => {
  it('offers every operation of the CLI', () => {
    expect(operations.map((o) => o.kind).sort()).toEqual(
      ['archive', 'clone', 'deserialize', 'gather', 'scatter', 'serialize', 'unarchive', 'verify'].sort(),
    );
  });

  it('builds a gather request from the form and the Sources page list', () => {
    const f = { ...blankForm({ blockSize: '1MiB', bufferSize: '1GiB' }), image: ' reg.low/t/g:1 ', selectors: 'team=a,tier=b\nteam=c', platforms: 'linux/amd64, linux/arm64', annotations: 'note=march', referrers: true, path: '/ignored' };
    const req = buildRequest('gather', f, ctx, fields);
    expect(req).toMatchObject({
      kind: 'gather',
      sourcesText: ctx.sourcesText,
      image: 'reg.low/t/g:1',
      selectors: ['team=a,tier=b', 'team=c'],
      platforms: ['linux/amd64', 'linux/arm64'],
      annotations: { note: 'march' },
      referrers: true,
      path: '',
      blockSize: '',
      mapperKind: '',
    });
  });

  it('sends the Mapping page rules, or the typed mapper', () => {
    const f = { ...blankForm(), image: 'reg.high/t/g:1' };
    expect(buildRequest('scatter', f, ctx, fields)).toMatchObject({ mapper: '', mapperKind: 'nest', mapperRules: 'high.io/mirror', sourcesText: '' });
    const typed = buildRequest('scatter', { ...f, mapperFrom: 'spec', mapperSpec: 'first-prefix=/r.csv' }, ctx, fields);
    expect(typed).toMatchObject({ mapper: 'first-prefix=/r.csv', mapperKind: '', mapperRules: '' });
  });

  it('takes media options for serialize, with the preferences as defaults', () => {
    const f = { ...blankForm({ blockSize: '512KiB', bufferSize: '2GiB' }), image: 'a.io/b:1', path: '/dev/nst0', hwm: '80', existing: 'a.io/old:1, a.io/old:2' };
    expect(buildRequest('serialize', f, ctx, fields)).toMatchObject({ blockSize: '512KiB', bufferSize: '2GiB', hwm: 80, path: '/dev/nst0', existing: ['a.io/old:1', 'a.io/old:2'] });
    expect(buildRequest('serialize', { ...f, hwm: 'x' }, ctx, fields).hwm).toBe(0);
  });

  it('says what is missing before Start, in plain words', () => {
    const empty = buildRequest('gather', blankForm(), { ...ctx, sourcesText: '' }, fields);
    expect(missingInputs(empty, fields, 0, 0)).toEqual([
      'The sources list is empty: write one on the Sources page.',
      'Fill in "Gather into (repository:tag)".',
    ]);
    expect(missingInputs(buildRequest('gather', { ...blankForm(), image: 'a.io/b:1' }, ctx, fields), fields, 1, 2)[0]).toMatch(/2 errors/);
    expect(missingInputs(buildRequest('serialize', { ...blankForm(), image: 'a.io/b:1' }, ctx, fields), fields, 0, 0)).toEqual(['Choose where to write: a file or a tape drive.']);
    expect(missingInputs(buildRequest('scatter', { ...blankForm(), image: 'a.io/b:1' }, { ...ctx, mapperRules: ' ' }, fields), fields, 0, 0)).toEqual([
      'Give mapping rules: on the Mapping page, or as TYPE=ARG here.',
    ]);
  });

  it('shows only the options the backend says a kind takes', () => {
    const f = { ...blankForm(), image: 'reg.low/t/g:1', dryRun: true, checkpoint: '/tmp/c' };
    expect(buildRequest('gather', f, ctx, fields)).toMatchObject({ dryRun: false, checkpoint: '' });
    expect(buildRequest('deserialize', f, ctx, fields)).toMatchObject({ dryRun: true, checkpoint: '' });
    expect(hasField('scatter', 'dryRun', fields)).toBe(false);
    expect(hasField('gather', 'sources', fields)).toBe(true);
    expect(hasField('gather', 'image', {})).toBe(false);
  });

  it('hands a finished step on to the next one', () => {
    const f = { ...blankForm(), image: ' reg.low/t/g:1 ', path: '/m/t.tar' };
    expect(handOff('gather', f)).toMatchObject({ next: 'serialize', fill: { image: 'reg.low/t/g:1' } });
    expect(handOff('serialize', f)).toMatchObject({ next: 'deserialize', fill: { path: '/m/t.tar', medium: 'file' } });
    expect(handOff('serialize', { ...f, medium: 'tape', path: '/dev/nst0' })).toMatchObject({ fill: { medium: 'tape' } });
    expect(handOff('archive', f)).toMatchObject({ next: 'unarchive' });
    expect(handOff('deserialize', { ...f, image: 'reg.high/t/g:1' })).toMatchObject({ next: 'scatter', fill: { image: 'reg.high/t/g:1' } });
    expect(handOff('deserialize', { ...f, dryRun: true })).toBeNull();
    expect(handOff('scatter', f)).toBeNull();
    expect(handOff('gather', blankForm())).toBeNull();
  });

  it('restores a kept form, dropping what does not fit', () => {
    const r = restoreForm({ image: 'a.io/b:1', force: true, medium: 'floppy', bogus: 1, hwm: 80 });
    expect(r).toMatchObject({ image: 'a.io/b:1', force: true, medium: 'file', hwm: '' });
    expect(r).not.toHaveProperty('bogus');
    expect(restoreForm('nonsense')).toEqual(blankForm());
  });

  it('parses lists and annotations', () => {
    expect(listOf('a, b\n\nc')).toEqual(['a', 'b', 'c']);
    expect(listOf('a=1,b=2\nc=3', false)).toEqual(['a=1,b=2', 'c=3']);
    expect(parseAnnotations('a=1, b = two, oops')).toEqual({ map: { a: '1', b: 'two' }, bad: ['oops'] });
    expect(hasField('verify', 'path', fields)).toBe(true);
    expect(hasField('verify', 'image', fields)).toBe(false);
  });
});
