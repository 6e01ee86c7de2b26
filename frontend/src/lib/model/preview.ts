// The mapping preview table: filters, counts and the severity of each row.

import type { MappingCounts, MappingProblem, MappingRow } from '../types';

export type RowFilter = 'all' | 'problems' | 'unmatched';

export const problemLabels: Record<string, string> = {
  'mapping-failed': 'Mapping failed',
  'invalid-destination': 'Invalid destination',
  collision: 'Collision',
  'digest-mismatch': 'Digest mismatch',
  'no-destination': 'No destination',
  'same-as-source': 'Same as source',
};

const errorKinds = new Set(['mapping-failed', 'invalid-destination', 'collision', 'digest-mismatch']);

/** A problem's severity: the backend's word, else by kind. */
export function severityOf(p: MappingProblem): 'error' | 'warning' {
  if (p.severity === 'error' || p.severity === 'warning') return p.severity;
  return errorKinds.has(p.kind) ? 'error' : 'warning';
}

/** The worst severity of a row, or null when it has no problem. */
export function rowSeverity(row: MappingRow): 'error' | 'warning' | null {
  const ps = row.problems ?? [];
  if (ps.some((p) => severityOf(p) === 'error')) return 'error';
  return ps.length ? 'warning' : null;
}

/** A source that lands nowhere without an error: skipped by the job. */
export function isUnmatched(row: MappingRow): boolean {
  return (row.destinations ?? []).length === 0 && rowSeverity(row) !== 'error';
}

export function filterRows(rows: readonly MappingRow[], filter: RowFilter, text = ''): MappingRow[] {
  const needle = text.trim().toLowerCase();
  return rows.filter((r) => {
    if (filter === 'problems' && !rowSeverity(r)) return false;
    if (filter === 'unmatched' && !isUnmatched(r)) return false;
    if (!needle) return true;
    return (
      r.source.toLowerCase().includes(needle) ||
      (r.digest ?? '').toLowerCase().includes(needle) ||
      (r.destinations ?? []).some((d) => d.toLowerCase().includes(needle))
    );
  });
}

/** Counts as the backend gives them, computed here for any subset of rows. */
export function countRows(rows: readonly MappingRow[]): MappingCounts {
  const c: MappingCounts = { sources: rows.length, destinations: 0, problems: 0, errors: 0, warnings: 0, unmatched: 0 };
  for (const r of rows) {
    c.destinations += (r.destinations ?? []).length;
    for (const p of r.problems ?? []) {
      if (severityOf(p) === 'error') c.errors++;
      else c.warnings++;
    }
    if (isUnmatched(r)) c.unmatched++;
  }
  c.problems = c.errors + c.warnings;
  return c;
}

/** The problems of a row that concern one destination, and those of the row as a whole. */
export function problemsFor(row: MappingRow, dest?: string): MappingProblem[] {
  return (row.problems ?? []).filter((p) => (dest === undefined ? !p.destination : p.destination === dest));
}

/** The plan as CSV: one line per source and destination; unmatched sources with an empty destination. */
export function planCSV(rows: readonly MappingRow[]): string {
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const out = ['source,digest,destination,problems'];
  for (const r of rows) {
    const dests = r.destinations ?? [];
    const line = (d: string) => {
      const ps = (r.problems ?? []).filter((p) => !p.destination || p.destination === d);
      return [r.source, r.digest ?? '', d, ps.map((p) => `${p.kind}: ${p.message}`).join('; ')].map(q).join(',');
    };
    if (dests.length === 0) out.push(line(''));
    else for (const d of dests) out.push(line(d));
  }
  return out.join('\n') + '\n';
}

export function planJSON(rows: readonly MappingRow[], meta: Record<string, unknown>): string {
  return JSON.stringify({ ...meta, counts: countRows(rows), rows }, null, 2) + '\n';
}
