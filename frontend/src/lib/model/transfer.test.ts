import { describe, expect, it } from 'vitest';
import { blankForm, buildRequest, commandLine, hasField, listOf, missingInputs, operations, parseAnnotations } from './transfer';

const ctx = { sourcesText: 'docker.io/library/alpine:3.20\n', mapperKind: 'nest', mapperRules: 'high.io/mirror' };

describe('transfer forms', () => {
  it('offers every operation of the CLI', () => {
    expect(operations.map((o) => o.kind).sort()).toEqual(
      ['archive', 'clone', 'deserialize', 'gather', 'scatter', 'serialize', 'unarchive', 'verify'].sort(),
    );
  });

  it('builds a gather request from the form and the Sources page list', () => {
    const f = { ...blankForm({ blockSize: '1MiB', bufferSize: '1GiB' }), image: ' reg.low/t/g:1 ', selectors: 'team=a,tier=b\nteam=c', platforms: 'linux/amd64, linux/arm64', annotations: 'note=march', referrers: true, path: '/ignored' };
    const req = buildRequest('gather', f, ctx);
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
    expect(buildRequest('scatter', f, ctx)).toMatchObject({ mapper: '', mapperKind: 'nest', mapperRules: 'high.io/mirror', sourcesText: '' });
    const typed = buildRequest('scatter', { ...f, mapperFrom: 'spec', mapperSpec: 'first-prefix=/r.csv' }, ctx);
    expect(typed).toMatchObject({ mapper: 'first-prefix=/r.csv', mapperKind: '', mapperRules: '' });
  });

  it('takes media options for serialize, with the preferences as defaults', () => {
    const f = { ...blankForm({ blockSize: '512KiB', bufferSize: '2GiB' }), image: 'a.io/b:1', path: '/dev/nst0', hwm: '80', existing: 'a.io/old:1, a.io/old:2' };
    expect(buildRequest('serialize', f, ctx)).toMatchObject({ blockSize: '512KiB', bufferSize: '2GiB', hwm: 80, path: '/dev/nst0', existing: ['a.io/old:1', 'a.io/old:2'] });
    expect(buildRequest('serialize', { ...f, hwm: 'x' }, ctx).hwm).toBe(0);
  });

  it('says what is missing before Start, in plain words', () => {
    const empty = buildRequest('gather', blankForm(), { ...ctx, sourcesText: '' });
    expect(missingInputs(empty, 0, 0)).toEqual([
      'The sources list is empty: write one on the Sources page.',
      'Fill in "Gather into (repository:tag)".',
    ]);
    expect(missingInputs(buildRequest('gather', { ...blankForm(), image: 'a.io/b:1' }, ctx), 1, 2)[0]).toMatch(/2 errors/);
    expect(missingInputs(buildRequest('serialize', { ...blankForm(), image: 'a.io/b:1' }, ctx), 0, 0)).toEqual(['Choose where to write: a file or a tape drive.']);
    expect(missingInputs(buildRequest('scatter', { ...blankForm(), image: 'a.io/b:1' }, { ...ctx, mapperRules: ' ' }), 0, 0)).toEqual([
      'Give mapping rules: on the Mapping page, or as TYPE=ARG here.',
    ]);
  });

  it('shows the equivalent command line', () => {
    const f = { ...blankForm(), image: 'reg.low/t/g:1', selectors: 'team=a', referrers: true, dryRun: true };
    expect(commandLine(buildRequest('gather', f, ctx))).toBe("ferry mirror gather SOURCES-FILE reg.low/t/g:1 -l team=a -r --dry-run");
    const s = { ...blankForm(), image: 'a.io/b:1', path: '/tmp/my file.tar', blockSize: '1MiB' };
    expect(commandLine(buildRequest('serialize', s, ctx))).toBe("ferry mirror serialize a.io/b:1 '/tmp/my file.tar' --block-size 1MiB");
  });

  it('parses lists and annotations', () => {
    expect(listOf('a, b\n\nc')).toEqual(['a', 'b', 'c']);
    expect(listOf('a=1,b=2\nc=3', false)).toEqual(['a=1,b=2', 'c=3']);
    expect(parseAnnotations('a=1, b = two, oops')).toEqual({ map: { a: '1', b: 'two' }, bad: ['oops'] });
    expect(hasField('verify', 'path')).toBe(true);
    expect(hasField('verify', 'image')).toBe(false);
  });
});
