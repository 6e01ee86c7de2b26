// Work in progress kept in Ferry's store as the operator types: the sources
// text, the mapping rules of every type and every Transfer form. A reload
// or a restart puts them back, so only what was never typed is lost.

import { get, writable, type Readable } from 'svelte/store';
import { api, errorMessage, hasMethod } from '../api';
import { debounce } from '../latest';
import { editSources, sourcesDoc } from './sources';
import { mapping, mappingDraft, restoreMapping, type MappingDraft } from './mapping';
import { restoreTransfer, transfer, transferDraft, type TransferDraft } from './transfer';

/** Drafts are written once typing pauses this long. */
export const draftDelay = 400;

let stop: (() => void) | null = null;

/** The last draft write's failure, "" while the drafts are safe. */
export const draftProblem = writable('');

function keep(name: string, content: string) {
  api.saveDraft(name, content).then(
    () => draftProblem.set(''),
    (e) => draftProblem.set(`Could not keep the ${name} draft: ${errorMessage(e)}`),
  );
}

/** One kept draft: the store it follows, its text, and how it is put back. */
interface Kept<T> {
  name: string;
  store: Readable<T>;
  text: (v: T) => string;
  restore: (text: string) => void;
}

const fromJSON =
  <D>(put: (d: Partial<D>) => void) =>
  (text: string) => {
    try {
      put(JSON.parse(text) as Partial<D>);
    } catch {
      // A draft that does not parse is dropped: what the page starts with stands.
    }
  };

// Typed one by one, kept in one list.
const kept = <T>(k: Kept<T>) => k as Kept<unknown>;

const drafts = [
  kept({
    name: 'sources',
    store: sourcesDoc,
    text: (s) => s.text,
    // The editor is written only when the operator has not typed since the page loaded.
    restore: (text) => {
      if (!get(sourcesDoc).text) editSources(text);
    },
  }),
  kept({ name: 'mapping', store: mapping, text: (m) => JSON.stringify(mappingDraft(m)), restore: fromJSON<MappingDraft>(restoreMapping) }),
  kept({ name: 'transfer', store: transfer, text: (t) => JSON.stringify(transferDraft(t)), restore: fromJSON<TransferDraft>(restoreTransfer) }),
];

/** Restores the drafts, then keeps them as they change. */
export async function startDrafts(): Promise<void> {
  if (stop || !hasMethod('Draft')) return;
  const texts = await Promise.all(drafts.map((d) => api.draft(d.name).catch(() => '')));
  drafts.forEach((d, i) => texts[i] && d.restore(texts[i]));
  const offs: (() => void)[] = [];
  const saves = drafts.map((d) => {
    const save = debounce((text: string) => keep(d.name, text), draftDelay);
    let last = d.text(get(d.store));
    offs.push(
      d.store.subscribe((v) => {
        const text = d.text(v);
        if (text !== last) save((last = text));
      }),
    );
    return save;
  });
  // Leaving the page writes what is pending.
  const flush = () => saves.forEach((s) => s.flush());
  window.addEventListener?.('pagehide', flush);
  stop = () => {
    flush();
    offs.forEach((off) => off());
    window.removeEventListener?.('pagehide', flush);
    stop = null;
  };
}

/** For tests: stops keeping drafts. */
export function stopDrafts(): void {
  stop?.();
}
