// The mapping rules being edited and their live preview. Rules are kept per
// mapper type, so trying another type and coming back loses nothing; the
// preview's input is the Sources page's list or a gather index reference.

import { get, writable } from 'svelte/store';
import { api, errorMessage } from '../api';
import { debounce, latestOnly } from '../latest';
import { sampleRules } from '../model/rules';
import type { MapperKind, PreviewRequest, PreviewResponse } from '../types';
import type { RowFilter } from '../model/preview';

export interface MappingState {
  kind: MapperKind;
  rules: Record<MapperKind, string>;
  /** Where the preview's images come from. */
  input: 'sources' | 'index';
  indexRef: string;
  preview: PreviewResponse | null;
  /**
   * The last preview whose rules compiled, per type: while a template is
   * half typed ("{{ .") the page keeps showing it, marked as stale.
   */
  lastGood: Partial<Record<MapperKind, PreviewResponse>>;
  /** The request the preview answers, to tell a stale one. */
  previewOf: string;
  previewing: boolean;
  error: string;
  filter: RowFilter;
  search: string;
  /** CSV kinds: table or text editing. */
  csvView: 'table' | 'text';
  /** Per type, the saved version the rules were opened from or saved as. */
  origin: Partial<Record<MapperKind, RulesOrigin>>;
}

/** A saved version of rules, and its content, to tell when it was edited since. */
export interface RulesOrigin {
  name: string;
  version: number;
  content: string;
  /** The file the rules were read from, when they came from one (version 0). */
  path?: string;
}

const kinds: MapperKind[] = ['nest', 'first-prefix', 'all-prefix', 'longest-prefix', 'digests', 'go-template'];

function initial(): MappingState {
  return {
    kind: 'go-template',
    rules: Object.fromEntries(kinds.map((k) => [k, sampleRules(k)])) as Record<MapperKind, string>,
    input: 'sources',
    indexRef: '',
    preview: null,
    lastGood: {},
    previewOf: '',
    previewing: false,
    error: '',
    filter: 'all',
    search: '',
    csvView: 'table',
    origin: {},
  };
}

export const mapping = writable<MappingState>(initial());

const patch = (p: Partial<MappingState>) => mapping.update((s) => ({ ...s, ...p }));

/** The preview follows typing after this pause. */
export const previewDelay = 150;

export function previewRequest(s: Pick<MappingState, 'kind' | 'rules' | 'input' | 'indexRef'>, sourcesText: string): PreviewRequest {
  return {
    kind: s.kind,
    rules: s.rules[s.kind],
    sourcesText: s.input === 'sources' ? sourcesText : '',
    indexRef: s.input === 'index' ? s.indexRef.trim() : '',
  };
}

const fetchPreview = latestOnly(
  (req: PreviewRequest) => api.previewMapping(req).then((r) => ({ r, req, key: JSON.stringify(req) })),
  ({ r, req, key }) =>
    mapping.update((s) => ({
      ...s,
      preview: r,
      previewOf: key,
      previewing: false,
      error: '',
      lastGood: r.ruleProblems?.length ? s.lastGood : { ...s.lastGood, [req.kind]: r },
    })),
  (e) => patch({ previewing: false, error: errorMessage(e) }),
);

const previewSoon = debounce((req: PreviewRequest) => fetchPreview(req), previewDelay);

// The request last sent for, so that asking again for the same thing (every
// store change re-runs the page's effect) neither refetches nor loops.
let requested = '';

/** Asks for a preview of the current rules once typing pauses; nothing when it is already asked for. */
export function requestPreview(sourcesText: string, now = false): void {
  const s = get(mapping);
  const req = previewRequest(s, sourcesText);
  if (s.input === 'index' && !req.indexRef) {
    requested = '';
    if (s.preview || s.previewing) patch({ preview: null, previewOf: '', previewing: false, lastGood: {} });
    return;
  }
  const key = JSON.stringify(req);
  if (key === requested && !now) return;
  requested = key;
  if (!s.previewing) patch({ previewing: true });
  previewSoon(req);
  if (now) previewSoon.flush();
}

export function setMapperKind(kind: MapperKind): void {
  patch({ kind });
}

export function editRules(text: string): void {
  mapping.update((s) => ({ ...s, rules: { ...s.rules, [s.kind]: text } }));
}

export function setMapping(p: Partial<Pick<MappingState, 'input' | 'indexRef' | 'filter' | 'search' | 'csvView'>>): void {
  // Another input is another preview: the last good one no longer applies.
  patch('input' in p || 'indexRef' in p ? { ...p, lastGood: {} } : p);
}

/** The rows to show: the preview's, or the last good ones while the rules do not compile. */
export function shownPreview(s: Pick<MappingState, 'kind' | 'preview' | 'lastGood'>): { preview: PreviewResponse | null; stale: boolean } {
  if (s.preview?.ruleProblems?.length && s.lastGood[s.kind]) return { preview: s.lastGood[s.kind]!, stale: true };
  return { preview: s.preview, stale: false };
}

/** Records that the current type's rules are (or came from) a saved version. */
export function setRulesOrigin(origin: RulesOrigin): void {
  mapping.update((s) => ({ ...s, origin: { ...s.origin, [s.kind]: origin } }));
}

/** The work in progress kept as a draft: the type, the rules of every type and where they came from. */
export interface MappingDraft {
  kind: MapperKind;
  rules: Partial<Record<MapperKind, string>>;
  origin: Partial<Record<MapperKind, RulesOrigin>>;
}

export function mappingDraft(s: MappingState): MappingDraft {
  return { kind: s.kind, rules: s.rules, origin: s.origin };
}

/** Puts a kept draft back; unknown types and malformed parts are left at their defaults. */
export function restoreMapping(d: Partial<MappingDraft>): void {
  mapping.update((s) => {
    const rules = { ...s.rules };
    const origin: MappingState['origin'] = {};
    for (const k of kinds) {
      const r = d.rules?.[k];
      if (typeof r === 'string') rules[k] = r;
      const o = d.origin?.[k];
      if (o && typeof o.name === 'string' && typeof o.version === 'number' && typeof o.content === 'string' && (o.path === undefined || typeof o.path === 'string'))
        origin[k] = o;
    }
    return { ...s, kind: d.kind && kinds.includes(d.kind) ? d.kind : s.kind, rules, origin };
  });
}

/** The rules as the Transfer page sends them. */
export function currentRules(): { kind: MapperKind; rules: string } {
  const s = get(mapping);
  return { kind: s.kind, rules: s.rules[s.kind] };
}

export function resetMapping(): void {
  requested = '';
  mapping.set(initial());
}
