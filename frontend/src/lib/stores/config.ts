// The configuration editor's state. It outlives the Settings page so an
// unsaved edit survives a visit to another page.

import { get, writable } from 'svelte/store';
import { api, errorMessage } from '../api';
import { debounce, latestOnly } from '../latest';
import type { Problem } from '../types';

export interface ConfigState {
  loaded: boolean;
  path: string;
  exists: boolean;
  /** Text as last loaded or saved. */
  saved: string;
  draft: string;
  problems: Problem[];
  checking: boolean;
  saving: boolean;
  /** Outcome of the last load or save, shown beside the buttons. */
  notice: { kind: 'ok' | 'error'; text: string } | null;
}

const initial: ConfigState = {
  loaded: false,
  path: '',
  exists: false,
  saved: '',
  draft: '',
  problems: [],
  checking: false,
  saving: false,
  notice: null,
};

export const config = writable<ConfigState>({ ...initial });

const patch = (p: Partial<ConfigState>) => config.update((s) => ({ ...s, ...p }));

const check = latestOnly(
  (text: string) => api.validateConfig(text),
  (problems) => patch({ problems, checking: false }),
  (e) => patch({ checking: false, problems: [{ line: 1, column: 1, message: `could not validate: ${errorMessage(e)}` }] }),
);

// Typing pauses are short; validation is cheap on the Go side.
const checkSoon = debounce((text: string) => check(text), 250);

export async function loadConfig(force = false): Promise<void> {
  const s = get(config);
  if (s.loaded && !force && s.draft !== s.saved) return;
  try {
    const f = await api.getConfig();
    patch({ loaded: true, path: f.path, exists: f.exists, saved: f.text, draft: f.text, notice: null });
    patch({ checking: true });
    check(f.text);
  } catch (e) {
    patch({ loaded: true, notice: { kind: 'error', text: `Could not read the configuration: ${errorMessage(e)}` } });
  }
}

export function editConfig(text: string): void {
  patch({ draft: text, checking: true, notice: null });
  checkSoon(text);
}

export async function saveConfig(): Promise<boolean> {
  const s = get(config);
  if (s.saving) return false;
  patch({ saving: true, notice: null });
  try {
    await api.saveConfig(s.draft);
    patch({ saving: false, saved: s.draft, exists: true, notice: { kind: 'ok', text: `Saved to ${s.path}` } });
    return true;
  } catch (e) {
    patch({ saving: false, notice: { kind: 'error', text: errorMessage(e) } });
    checkSoon.flush();
    return false;
  }
}

export function revertConfig(): void {
  const s = get(config);
  editConfig(s.saved);
}

/** Problems grouped by line, for the editor gutter. */
export function byLine(problems: readonly Problem[]): Map<number, Problem[]> {
  const m = new Map<number, Problem[]>();
  for (const p of problems) {
    const list = m.get(p.line);
    if (list) list.push(p);
    else m.set(p.line, [p]);
  }
  return m;
}
