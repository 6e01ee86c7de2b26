// Preferences as saved in the backend and as being edited. The theme follows
// the draft so a choice previews at once; Discard puts the saved one back.

import { derived, get, writable } from 'svelte/store';
import { api, errorMessage } from '../api';
import { asTheme, type Preferences, type Theme } from '../types';

export interface PreferencesState {
  saved: Preferences | null;
  draft: Preferences | null;
  saving: boolean;
  notice: { kind: 'ok' | 'error'; text: string } | null;
}

export const preferences = writable<PreferencesState>({ saved: null, draft: null, saving: false, notice: null });

const patch = (p: Partial<PreferencesState>) => preferences.update((s) => ({ ...s, ...p }));

const themeKey = 'ferry.theme';

function cachedTheme(): Theme {
  try {
    const t = globalThis.localStorage?.getItem(themeKey);
    if (t === 'light' || t === 'dark') return t;
  } catch {
    // Storage may be unavailable (private mode); the backend copy still applies.
  }
  return 'system';
}

/** The theme in force: the draft's, else the saved one, else the one cached for first paint. */
export const theme = derived(preferences, (s): Theme => asTheme(s.draft?.theme ?? s.saved?.theme ?? cachedTheme()));

/** Sets the theme on the document root; "system" leaves it to prefers-color-scheme. */
export function applyTheme(t: Theme, root: HTMLElement = document.documentElement): void {
  if (t === 'system') root.removeAttribute('data-theme');
  else root.setAttribute('data-theme', t);
}

export function isDirty(s: PreferencesState): boolean {
  return !!s.saved && !!s.draft && JSON.stringify(s.saved) !== JSON.stringify(s.draft);
}

export async function loadPreferences(): Promise<void> {
  try {
    const p = await api.getPreferences();
    const s = get(preferences);
    // Keep an edit in progress; refresh only the saved copy.
    patch({ saved: p, draft: s.draft && isDirty(s) ? s.draft : { ...p } });
  } catch (e) {
    patch({ notice: { kind: 'error', text: `Could not read preferences: ${errorMessage(e)}` } });
  }
}

export function editPreferences(p: Partial<Preferences>): void {
  preferences.update((s) => (s.draft ? { ...s, draft: { ...s.draft, ...p }, notice: null } : s));
}

export async function savePreferences(): Promise<boolean> {
  const s = get(preferences);
  if (!s.draft || s.saving) return false;
  const draft = { ...s.draft };
  patch({ saving: true, notice: null });
  try {
    await api.savePreferences(draft);
    try {
      globalThis.localStorage?.setItem(themeKey, draft.theme);
    } catch {
      // See cachedTheme.
    }
    patch({ saving: false, saved: draft, notice: { kind: 'ok', text: 'Preferences saved' } });
    return true;
  } catch (e) {
    patch({ saving: false, notice: { kind: 'error', text: errorMessage(e) } });
    return false;
  }
}

export function discardPreferences(): void {
  preferences.update((s) => ({ ...s, draft: s.saved ? { ...s.saved } : null, notice: null }));
}
