import { describe, expect, it } from 'vitest';
import { addRule, isCSVKind, moveRule, removeRule, ruleColumns, ruleRows, rulesName, sampleRules, setRule } from './rules';

const rules = `# low to high
docker.io/,registry.high/dockerhub/
quay.io/,registry.high/quay/
,registry.high/other/
`;

describe('CSV rules <-> table', () => {
  it('reads rows with their lines, comments left out', () => {
    expect(ruleRows(rules)).toEqual([
      { line: 2, from: 'docker.io/', to: 'registry.high/dockerhub/', wellFormed: true },
      { line: 3, from: 'quay.io/', to: 'registry.high/quay/', wellFormed: true },
      { line: 4, from: '', to: 'registry.high/other/', wellFormed: true },
    ]);
  });

  it('flags a line without exactly two fields', () => {
    expect(ruleRows('a,b,c\n')[0]).toMatchObject({ line: 1, wellFormed: false, from: 'a,b,c' });
  });

  it('edits a cell in place', () => {
    const next = setRule(rules, 3, 'quay.io/', 'registry.high/q/');
    expect(next.split('\n')[2]).toBe('quay.io/,registry.high/q/');
    expect(next.split('\n')[0]).toBe('# low to high');
  });

  it('quotes a cell holding a comma', () => {
    expect(setRule('x,y\n', 1, 'a,b', 'c').split('\n')[0]).toBe('"a,b",c');
    expect(ruleRows('"a,b",c\n')[0]).toMatchObject({ from: 'a,b', to: 'c' });
  });

  it('adds an empty row that stays while edited', () => {
    const r = addRule(rules);
    expect(r.line).toBe(5);
    expect(ruleRows(r.text)).toHaveLength(3);
    expect(ruleRows(r.text, new Set([r.line]))).toHaveLength(4);
  });

  it('reorders rows past comments, and not beyond the ends', () => {
    const withComment = `a/,x/\n# keep me here\nb/,y/\n`;
    const down = moveRule(withComment, 1, 1);
    expect(down).toEqual({ text: `b/,y/\n# keep me here\na/,x/\n`, line: 3 });
    const up = moveRule(down.text, 3, -1);
    expect(up.text).toBe(withComment);
    expect(moveRule(withComment, 1, -1)).toEqual({ text: withComment, line: 1 });
  });

  it('removes a row', () => {
    expect(ruleRows(removeRule(rules, 2)).map((r) => r.from)).toEqual(['quay.io/', '']);
  });

  it('knows which kinds are tables and how their columns are called', () => {
    expect(isCSVKind('first-prefix')).toBe(true);
    expect(isCSVKind('digests')).toBe(true);
    expect(isCSVKind('nest')).toBe(false);
    expect(isCSVKind('go-template')).toBe(false);
    expect(ruleColumns('digests')).toEqual(['Digest', 'Destination']);
  });
});

describe('rules table, as the operator edits it', () => {
  it('adds two rows after the sample comment and leaves no stray blank line', () => {
    let text = '# from,to\n';
    let r = addRule(text);
    text = setRule(r.text, r.line, 'a/', '');
    text = setRule(text, r.line, 'a/', 'x/');
    r = addRule(text);
    text = setRule(r.text, r.line, 'b/', 'y/');
    expect(text).toBe('# from,to\na/,x/\nb/,y/\n');
  });
});

describe('the rule set a form names', () => {
  it('tells the untouched sample from a draft and a saved version', () => {
    expect(rulesName('go-template', sampleRules('go-template'), undefined)).toEqual({ text: 'the untouched sample (Go template)', sample: true });
    expect(rulesName('nest', 'reg.high/m', undefined)).toEqual({ text: 'an unsaved draft (Nest)', sample: false });
    const origin = { name: 'march', version: 3, content: 'reg.high/m' };
    expect(rulesName('nest', 'reg.high/m', origin)).toEqual({ text: '"march" version 3 (Nest)', sample: false });
    expect(rulesName('nest', 'reg.high/n', origin).text).toBe('"march" version 3, edited since (Nest, unsaved)');
    // Saved rules that equal the sample were chosen: they are named, not flagged.
    expect(rulesName('nest', sampleRules('nest'), { ...origin, content: sampleRules('nest') }).sample).toBe(false);
  });
});
