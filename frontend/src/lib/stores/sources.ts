// The sources list being edited, shared by the Sources page (editor, table,
// checks), the Mapping preview and the Transfer forms. It outlives the page,
// so an edit survives a visit elsewhere.

import { get, writable } from 'svelte/store';
import { api, errorMessage } from '../api';
import { debounce, latestOnly } from '../latest';
import type { Inspection, LineProblem, SavedDocument, SourceEntry } from '../types';

export interface SourcesState {
  text: string;
  /** Text as last opened or saved, to tell unsaved edits. */
  savedText: string;
  /** Name under which versions are saved in the store. */
  name: string;
  /** File last opened or saved, if any. */
  path: string;
  sources: SourceEntry[];
  problems: LineProblem[];
  checking: boolean;
  /** Per-reference results of the last "Check sources", by reference. */
  inspections: Record<string, Inspection>;
  inspecting: boolean;
  inspectedAt: number;
  documents: SavedDocument[];
  notice: { kind: 'ok' | 'error' | 'info'; text: string } | null;
}

export const sampleSources = `# One image per line; labels after a comma select subsets (-l).
`;

const initial: SourcesState = {
  text: '',
  savedText: '',
  name: '',
  path: '',
  sources: [],
  problems: [],
  checking: false,
  inspections: {},
  inspecting: false,
  inspectedAt: 0,
  documents: [],
  notice: null,
};

export const sourcesDoc = writable<SourcesState>({ ...initial });

const patch = (p: Partial<SourcesState>) => sourcesDoc.update((s) => ({ ...s, ...p }));

const check = latestOnly(
  (text: string) => api.checkSources(text),
  (r) => patch({ sources: r.sources ?? [], problems: r.problems ?? [], checking: false }),
  (e) => patch({ checking: false, problems: [{ line: 1, severity: 'error', message: `could not check the list: ${errorMessage(e)}` }] }),
);

/** Validation runs once typing pauses this long. */
export const checkDelay = 200;
const checkSoon = debounce((text: string) => check(text), checkDelay);

export function editSources(text: string): void {
  if (text === get(sourcesDoc).text) return;
  patch({ text, checking: true });
  checkSoon(text);
}

/** Replaces the whole text (open, load a version) and checks it at once. */
export function loadSourcesText(text: string, from: Partial<Pick<SourcesState, 'name' | 'path'>> = {}): void {
  patch({ text, savedText: text, checking: true, inspections: {}, inspectedAt: 0, ...from });
  checkSoon(text);
  checkSoon.flush();
}

export function isDirty(s: SourcesState): boolean {
  return s.text !== s.savedText;
}

export async function inspectSources(): Promise<void> {
  const s = get(sourcesDoc);
  if (s.inspecting) return;
  patch({ inspecting: true, notice: null });
  try {
    const list = await api.inspectSources(s.text);
    const inspections: Record<string, Inspection> = {};
    for (const i of list) inspections[i.ref] = i;
    patch({ inspections, inspecting: false, inspectedAt: Date.now() });
  } catch (e) {
    patch({ inspecting: false, notice: { kind: 'error', text: `Could not check the sources: ${errorMessage(e)}` } });
  }
}

/** Sum of the sizes of the references that resolved, and how many did not. */
export function inspectionTotals(s: Pick<SourcesState, 'sources' | 'inspections'>): { bytes: number; ok: number; failed: number; unchecked: number } {
  const t = { bytes: 0, ok: 0, failed: 0, unchecked: 0 };
  const seen = new Set<string>();
  for (const src of s.sources) {
    if (seen.has(src.ref)) continue;
    seen.add(src.ref);
    const i = s.inspections[src.ref];
    if (!i) t.unchecked++;
    else if (i.ok) {
      t.ok++;
      t.bytes += i.size;
    } else t.failed++;
  }
  return t;
}

export async function refreshDocuments(): Promise<void> {
  try {
    patch({ documents: await api.listDocuments('sources') });
  } catch (e) {
    patch({ notice: { kind: 'error', text: `Could not list saved lists: ${errorMessage(e)}` } });
  }
}

/** Saves a new version under a name; the meta records counts for the list of versions. */
export async function saveVersion(name: string): Promise<boolean> {
  const s = get(sourcesDoc);
  const n = name.trim();
  if (!n) {
    patch({ notice: { kind: 'error', text: 'Give the list a name to save it in Ferry.' } });
    return false;
  }
  try {
    const meta = JSON.stringify({ sources: s.sources.length, problems: s.problems.length });
    const version = await api.saveDocument('sources', n, s.text, meta);
    patch({ name: n, savedText: s.text, notice: { kind: 'ok', text: `Saved "${n}" as version ${version}` } });
    await refreshDocuments();
    return true;
  } catch (e) {
    patch({ notice: { kind: 'error', text: `Could not save: ${errorMessage(e)}` } });
    return false;
  }
}

export async function loadVersion(name: string, version = 0): Promise<void> {
  try {
    const d = await api.getDocument('sources', name, version);
    loadSourcesText(d.content, { name: d.name, path: '' });
    patch({ notice: { kind: 'info', text: `Opened "${d.name}" version ${d.version}` } });
  } catch (e) {
    patch({ notice: { kind: 'error', text: `Could not open "${name}": ${errorMessage(e)}` } });
  }
}

export async function openFile(path: string): Promise<boolean> {
  try {
    const text = await api.readTextFile(path);
    const base = path.split('/').pop() ?? path;
    loadSourcesText(text, { path, name: get(sourcesDoc).name || base.replace(/\.[^.]*$/, '') });
    patch({ notice: { kind: 'info', text: `Opened ${path}` } });
    return true;
  } catch (e) {
    patch({ notice: { kind: 'error', text: `Could not open ${path}: ${errorMessage(e)}` } });
    return false;
  }
}

export async function saveFile(path: string): Promise<boolean> {
  const s = get(sourcesDoc);
  try {
    await api.writeTextFile(path, s.text);
    patch({ path, savedText: s.text, notice: { kind: 'ok', text: `Saved to ${path}` } });
    return true;
  } catch (e) {
    patch({ notice: { kind: 'error', text: `Could not save to ${path}: ${errorMessage(e)}` } });
    return false;
  }
}

export function setSourcesNotice(notice: SourcesState['notice']): void {
  patch({ notice });
}

/** For tests. */
export function resetSources(): void {
  sourcesDoc.set({ ...initial });
}
