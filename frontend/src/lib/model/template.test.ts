import { describe, expect, it } from 'vitest';
import { annotationLabels, completionsAt, fieldValues, templateFields } from './template';

const at = (text: string) => completionsAt(text.replace('|', ''), text.indexOf('|'));
const labels = (text: string) => at(text)?.options.map((o) => o.label);

describe('template help', () => {
  it('completes nothing outside an action', () => {
    expect(at('registry.high/|')).toBeNull();
    expect(at('{{ .Digest }}/x|')).toBeNull();
  });

  it('completes the fields of the dot, and of .Digest and .Platform', () => {
    expect(labels('{{ .|')).toContain('Annotations');
    expect(at('{{ .Dig|')).toMatchObject({ from: 4 });
    expect(labels('{{ .Digest.|')).toEqual(['Encoded', 'Algorithm', 'String']);
    expect(labels('{{ .Platform.Ar|')).toContain('Architecture');
  });

  it('completes functions, and the annotation keys inside index', () => {
    expect(labels('{{ Rep|')).toContain('Repository');
    expect(at('{{ Rep|')).toMatchObject({ from: 3 });
    expect(labels('{{ Repository (|')).toContain('index');
    expect(labels('{{ index .Annotations "da|')).toContain(annotationLabels);
  });

  it('gives the values of the fields for a line of the sources list', () => {
    const v = fieldValues({ line: 2, ref: 'reg.low/team/app:2.0', labels: { tier: 'prod', team: 'apps' } }, 'sha256:abc');
    expect(v[templateFields[0].expr]).toBe('reg.low/team/app:2.0');
    expect(v[templateFields[1].expr]).toBe('{"team":"apps","tier":"prod"}');
    expect(v[templateFields[2].expr]).toBe('2.0');
    expect(v['.Digest']).toBe('sha256:abc');
    expect(fieldValues(undefined)).toEqual({});
  });
});
