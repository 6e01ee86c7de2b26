// The sources list as a table: one row per reference line, kept in step
// with the text. The text is the document; the table edits lines of it, so
// comments and blank lines survive every edit made in the table.

import { appendLine, isNoise, joinCSV, linesOf, removeLine, replaceLine, splitCSV } from './csv';

export interface SourceRow {
  /** 1-based line of the text. */
  line: number;
  ref: string;
  /** Labels as typed: "key=value, key=value". */
  labels: string;
}

/** Reads one line: null for a comment or blank line. */
export function parseSourceLine(line: string): { ref: string; labels: string } | null {
  if (isNoise(line)) return null;
  const [ref, ...rest] = splitCSV(line);
  return {
    ref: ref.trim(),
    labels: rest
      .map((l) => l.trim())
      .filter(Boolean)
      .join(', '),
  };
}

/** Writes one line from a table row; labels are split on commas. */
export function formatSourceLine(ref: string, labels: string): string {
  const list = labels
    .split(',')
    .map((l) => l.trim())
    .filter(Boolean);
  return joinCSV([ref.trim(), ...list]).replace(/^""$/, '');
}

/**
 * The table rows of a text. `keep` lists lines shown even while blank: the
 * row being edited, so clearing its reference does not make it vanish.
 */
export function sourceRows(text: string, keep: ReadonlySet<number> = new Set()): SourceRow[] {
  const rows: SourceRow[] = [];
  linesOf(text).forEach((l, i) => {
    const line = i + 1;
    const parsed = parseSourceLine(l);
    if (parsed) rows.push({ line, ...parsed });
    else if (keep.has(line) && l.trim() === '') rows.push({ line, ref: '', labels: '' });
  });
  return rows;
}

export function setSourceRow(text: string, line: number, ref: string, labels: string): string {
  return replaceLine(text, line, formatSourceLine(ref, labels));
}

export function addSourceRow(text: string, ref = '', labels = ''): { text: string; line: number } {
  return appendLine(text, formatSourceLine(ref, labels));
}

export function removeSourceRow(text: string, line: number): string {
  return removeLine(text, line);
}

/** Number of reference lines. */
export function countSources(text: string): number {
  return linesOf(text).filter((l) => !isNoise(l)).length;
}
