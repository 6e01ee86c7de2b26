import { describe, expect, it } from 'vitest';
import { addSourceRow, countSources, formatSourceLine, parseSourceLine, removeSourceRow, setSourceRow, sourceRows } from './sources';
import { appendLine, joinCSV, splitCSV, swapLines } from './csv';

const text = `# staging images
docker.io/library/alpine:3.20,team=base

quay.io/ceph/ceph:v16.2.7,team=storage,tier=prod
`;

describe('sources text <-> table', () => {
  it('gives one row per reference line, with its line number and labels', () => {
    expect(sourceRows(text)).toEqual([
      { line: 2, ref: 'docker.io/library/alpine:3.20', labels: 'team=base' },
      { line: 4, ref: 'quay.io/ceph/ceph:v16.2.7', labels: 'team=storage, tier=prod' },
    ]);
    expect(countSources(text)).toBe(2);
  });

  it('edits a reference in place and keeps comments and blank lines', () => {
    const next = setSourceRow(text, 4, 'quay.io/ceph/ceph:v17.2.0', 'team=storage, tier=prod');
    expect(next).toBe(`# staging images
docker.io/library/alpine:3.20,team=base

quay.io/ceph/ceph:v17.2.0,team=storage,tier=prod
`);
    // And the editor's text reads back as the same table.
    expect(sourceRows(next)[1]).toEqual({ line: 4, ref: 'quay.io/ceph/ceph:v17.2.0', labels: 'team=storage, tier=prod' });
  });

  it('writes labels typed with spaces and stray commas cleanly', () => {
    expect(formatSourceLine(' reg.example/a:1 ', ' a=1 ,, b=2 ,')).toBe('reg.example/a:1,a=1,b=2');
    expect(formatSourceLine('reg.example/a:1', '')).toBe('reg.example/a:1');
    expect(formatSourceLine('', '')).toBe('');
  });

  it('adds a row at the end, reusing the final newline', () => {
    const r = addSourceRow(text, 'ghcr.io/org/tool:1', 'team=ops');
    expect(r.line).toBe(5);
    expect(r.text).toBe(text + 'ghcr.io/org/tool:1,team=ops\n');
    expect(addSourceRow('', 'a.io/b:1')).toEqual({ text: 'a.io/b:1\n', line: 1 });
    expect(addSourceRow('a.io/b:1', 'c.io/d:2')).toEqual({ text: 'a.io/b:1\nc.io/d:2\n', line: 2 });
  });

  it('keeps a row being edited while its reference is cleared', () => {
    const cleared = setSourceRow(text, 2, '', '');
    expect(sourceRows(cleared).map((r) => r.line)).toEqual([4]);
    expect(sourceRows(cleared, new Set([2])).map((r) => r.line)).toEqual([2, 4]);
  });

  it('removes a row and the lines below move up', () => {
    const next = removeSourceRow(text, 2);
    expect(sourceRows(next)).toEqual([{ line: 3, ref: 'quay.io/ceph/ceph:v16.2.7', labels: 'team=storage, tier=prod' }]);
  });

  it('reads comments and blank lines as no row', () => {
    expect(parseSourceLine('   # note')).toBeNull();
    expect(parseSourceLine('   ')).toBeNull();
    expect(parseSourceLine('"reg.example/a:1",x=y')).toEqual({ ref: 'reg.example/a:1', labels: 'x=y' });
  });
});

describe('csv', () => {
  it('splits and joins with quotes only where needed', () => {
    expect(splitCSV('a,"b,c","d ""q"""')).toEqual(['a', 'b,c', 'd "q"']);
    expect(joinCSV(['a', 'b,c', 'd "q"', ''])).toBe('a,"b,c","d ""q""",');
    expect(splitCSV(joinCSV([' x', 'y']))).toEqual([' x', 'y']);
  });

  it('appends and swaps lines', () => {
    expect(appendLine('a\n', 'b')).toEqual({ text: 'a\nb\n', line: 2 });
    expect(swapLines('a\nb\nc', 1, 3)).toBe('c\nb\na');
    expect(swapLines('a', 1, 2)).toBe('a');
  });
});
