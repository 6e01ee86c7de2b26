// Opening and saving files the same way in the window and in a browser: the
// window has native dialogs; in a browser they reject, and the page offers a
// typed path instead (and a download for exports).

import { writable, get } from 'svelte/store';
import { api, errorMessage } from './api';

/** null until a dialog was tried; false once the backend said there are none (browser). */
export const dialogsAvailable = writable<boolean | null>(null);

/**
 * Asks for a path with the native dialog. Resolves to the path, '' when the
 * operator cancelled, or null when there is no dialog (type the path instead).
 */
export async function pickPath(mode: 'open' | 'save', title: string, defaultName = ''): Promise<string | null> {
  if (get(dialogsAvailable) === false) return null;
  try {
    const p = mode === 'open' ? await api.chooseOpenFile(title) : await api.chooseSaveFile(title, defaultName);
    dialogsAvailable.set(true);
    return p;
  } catch (e) {
    if (/only available in the desktop window|type the path/i.test(errorMessage(e))) {
      dialogsAvailable.set(false);
      return null;
    }
    throw e;
  }
}

/** Hands a file to the browser's download mechanism. */
export function downloadText(name: string, content: string, type = 'text/plain'): void {
  const blob = new Blob([content], { type: `${type};charset=utf-8` });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Exports text: in the window, where the operator chooses with the save
 * dialog; in a browser, as a download. Resolves to a sentence for the page, or
 * '' when the operator cancelled.
 */
export async function exportText(name: string, content: string, type = 'text/plain'): Promise<string> {
  const path = await pickPath('save', 'Export', name);
  if (path === null) {
    downloadText(name, content, type);
    return `Downloaded ${name}`;
  }
  if (path === '') return '';
  await api.writeTextFile(path, content);
  return `Saved to ${path}`;
}
