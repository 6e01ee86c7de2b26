// CSV mapping rules (first-prefix, all-prefix, longest-prefix: from,to;
// digests: digest,dest) as a table kept in step with the rule text. Like the
// sources table it edits lines of the text, so comments survive.

import { appendLine, isNoise, joinCSV, linesOf, removeLine, replaceLine, splitCSV, swapLines } from './csv';
import type { MapperKind } from '../types';

export interface RuleRow {
  line: number;
  from: string;
  to: string;
  /** False when the line does not have exactly two fields. */
  wellFormed: boolean;
}

export const mapperKinds: readonly { kind: MapperKind; label: string; hint: string }[] = [
  { kind: 'nest', label: 'Nest', hint: 'Put every image under one repository prefix.' },
  { kind: 'first-prefix', label: 'First prefix', hint: 'The first row whose "from" prefixes the source wins.' },
  { kind: 'all-prefix', label: 'All prefixes', hint: 'Every row whose "from" prefixes the source gives a destination.' },
  { kind: 'longest-prefix', label: 'Longest prefix', hint: 'The longest matching "from" wins; an empty "from" is the default.' },
  { kind: 'digests', label: 'Digests', hint: 'Each row sends one digest to one destination, verbatim.' },
  { kind: 'go-template', label: 'Go template', hint: 'Each non-empty output line is one destination.' },
];

export function isCSVKind(kind: MapperKind): boolean {
  return kind !== 'nest' && kind !== 'go-template';
}

/** Column titles of the table for a kind. */
export function ruleColumns(kind: MapperKind): [string, string] {
  return kind === 'digests' ? ['Digest', 'Destination'] : ['From (prefix)', 'To'];
}

export function ruleRows(text: string, keep: ReadonlySet<number> = new Set()): RuleRow[] {
  const rows: RuleRow[] = [];
  linesOf(text).forEach((l, i) => {
    const line = i + 1;
    if (isNoise(l)) {
      if (keep.has(line) && l.trim() === '') rows.push({ line, from: '', to: '', wellFormed: true });
      return;
    }
    const f = splitCSV(l);
    if (f.length === 2) rows.push({ line, from: f[0].trim(), to: f[1].trim(), wellFormed: true });
    else rows.push({ line, from: l, to: '', wellFormed: false });
  });
  return rows;
}

export function formatRule(from: string, to: string): string {
  return from === '' && to === '' ? '' : joinCSV([from.trim(), to.trim()]);
}

export function setRule(text: string, line: number, from: string, to: string): string {
  return replaceLine(text, line, formatRule(from, to));
}

export function addRule(text: string, from = '', to = ''): { text: string; line: number } {
  return appendLine(text, formatRule(from, to));
}

export function removeRule(text: string, line: number): string {
  return removeLine(text, line);
}

/**
 * Moves a rule up (-1) or down (+1) past the neighbouring rule, leaving
 * comments where they are. Returns the text and the rule's new line.
 */
export function moveRule(text: string, line: number, dir: -1 | 1, keep: ReadonlySet<number> = new Set()): { text: string; line: number } {
  const rows = ruleRows(text, keep);
  const i = rows.findIndex((r) => r.line === line);
  const j = i + dir;
  if (i < 0 || j < 0 || j >= rows.length) return { text, line };
  return { text: swapLines(text, line, rows[j].line), line: rows[j].line };
}

/** The sample each kind starts with, so an empty editor shows the shape. */
export function sampleRules(kind: MapperKind): string {
  switch (kind) {
    case 'nest':
      return 'registry.high.example/mirror';
    case 'digests':
      return '# digest,destination\n';
    case 'go-template':
      return 'registry.high.example/{{ Repository (index .Annotations "vnd.act3-ace.manifest.source") }}:{{ Tag (index .Annotations "vnd.act3-ace.manifest.source") }}\n';
    default:
      return '# from,to\n';
  }
}

/**
 * Names the rule set a form will use, in the operator's words: the saved
 * version it is, the file it was read from, an edited copy of either, a draft, or the untouched sample
 * (which is never used without the operator choosing it).
 */
export function rulesName(
  kind: MapperKind,
  rules: string,
  origin: { name: string; version: number; content: string; path?: string } | undefined,
): { text: string; sample: boolean } {
  const label = mapperKinds.find((k) => k.kind === kind)?.label ?? kind;
  if (origin?.path) return { text: `the file ${origin.path}${origin.content === rules ? '' : ', edited since'} (${label}${origin.content === rules ? '' : ', unsaved'})`, sample: false };
  if (origin && origin.content === rules) return { text: `"${origin.name}" version ${origin.version} (${label})`, sample: false };
  if (origin) return { text: `"${origin.name}" version ${origin.version}, edited since (${label}, unsaved)`, sample: false };
  if (rules === sampleRules(kind)) return { text: `the untouched sample (${label})`, sample: true };
  return { text: `an unsaved draft (${label})`, sample: false };
}
