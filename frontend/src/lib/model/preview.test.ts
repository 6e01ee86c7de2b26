import { describe, expect, it } from 'vitest';
import { countRows, filterRows, isUnmatched, planCSV, planJSON, problemsFor, rowSeverity } from './preview';
import type { MappingRow } from '../types';

const rows: MappingRow[] = [
  { source: 'docker.io/library/alpine:3.20', destinations: ['high.io/alpine:3.20'] },
  {
    source: 'docker.io/library/busybox:1',
    destinations: ['high.io/shared:1'],
    problems: [{ severity: 'error', kind: 'collision', destination: 'high.io/shared:1', message: 'high.io/shared:1 also receives quay.io/x:1' }],
  },
  {
    source: 'quay.io/x:1',
    destinations: ['high.io/shared:1'],
    problems: [{ severity: 'error', kind: 'collision', destination: 'high.io/shared:1', message: 'high.io/shared:1 also receives docker.io/library/busybox:1' }],
  },
  { source: 'ghcr.io/org/tool:2', destinations: [], problems: [{ severity: 'warning', kind: 'no-destination', message: 'no rule matches' }] },
  { source: 'high.io/self:1', destinations: ['high.io/self:1'], problems: [{ severity: 'warning', kind: 'same-as-source', destination: 'high.io/self:1', message: 'destination is the source itself' }] },
  { source: 'bad.io/t:1', destinations: [], problems: [{ severity: 'error', kind: 'mapping-failed', message: 'template: index of nil' }] },
];

describe('mapping preview table', () => {
  it('counts sources, destinations, errors, warnings and unmatched as the backend does', () => {
    expect(countRows(rows)).toEqual({ sources: 6, destinations: 4, problems: 5, errors: 3, warnings: 2, unmatched: 1 });
  });

  it('highlights a row by its worst problem', () => {
    expect(rows.map(rowSeverity)).toEqual([null, 'error', 'error', 'warning', 'warning', 'error']);
  });

  it('tells a skipped source (unmatched) from a failed one', () => {
    expect(isUnmatched(rows[3])).toBe(true);
    expect(isUnmatched(rows[5])).toBe(false);
  });

  it('filters to problems only, unmatched only, and by text', () => {
    expect(filterRows(rows, 'problems').map((r) => r.source)).toEqual(rows.slice(1).map((r) => r.source));
    expect(filterRows(rows, 'unmatched').map((r) => r.source)).toEqual(['ghcr.io/org/tool:2']);
    expect(filterRows(rows, 'all', 'SHARED').map((r) => r.source)).toEqual(['docker.io/library/busybox:1', 'quay.io/x:1']);
    expect(filterRows(rows, 'problems', 'alpine')).toEqual([]);
  });

  it('splits problems into those of a destination and those of the row', () => {
    expect(problemsFor(rows[1], 'high.io/shared:1').map((p) => p.kind)).toEqual(['collision']);
    expect(problemsFor(rows[1])).toEqual([]);
    expect(problemsFor(rows[3]).map((p) => p.kind)).toEqual(['no-destination']);
  });

  it('falls back to the kind when a problem has no severity', () => {
    const r: MappingRow = { source: 's', destinations: ['d'], problems: [{ kind: 'digest-mismatch', message: 'm' } as any] };
    expect(rowSeverity(r)).toBe('error');
  });

  it('exports the plan as CSV, one line per destination, and as JSON', () => {
    const csv = planCSV(rows.slice(0, 4));
    expect(csv.split('\n')[0]).toBe('source,digest,destination,problems');
    expect(csv).toContain('docker.io/library/alpine:3.20,,high.io/alpine:3.20,\n');
    expect(csv).toContain('ghcr.io/org/tool:2,,,no-destination: no rule matches\n');
    const json = JSON.parse(planJSON(rows, { mapper: 'go-template' }));
    expect(json.mapper).toBe('go-template');
    expect(json.counts.errors).toBe(3);
    expect(json.rows).toHaveLength(6);
  });
});
