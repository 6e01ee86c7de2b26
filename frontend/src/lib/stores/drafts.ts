// Work in progress kept in Ferry's store as the operator types: the sources
// text and the mapping rules of every type. A reload or a restart puts them
// back, so only what was never typed is lost.

import { get, writable } from 'svelte/store';
import { api, errorMessage, hasMethod } from '../api';
import { debounce } from '../latest';
import { editSources, sourcesDoc } from './sources';
import { mapping, mappingDraft, restoreMapping, type MappingDraft } from './mapping';

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

/**
 * Restores the drafts, then keeps them as they change. The editors are
 * written only when the operator has not typed since the page loaded.
 */
export async function startDrafts(): Promise<void> {
  if (stop || !hasMethod('Draft')) return;
  const [sources, rules] = await Promise.all([api.draft('sources').catch(() => ''), api.draft('mapping').catch(() => '')]);
  if (sources && !get(sourcesDoc).text) editSources(sources);
  if (rules) {
    try {
      restoreMapping(JSON.parse(rules) as Partial<MappingDraft>);
    } catch {
      // A draft that does not parse is dropped: the sample stands.
    }
  }
  const saveSources = debounce((text: string) => keep('sources', text), draftDelay);
  const saveRules = debounce((json: string) => keep('mapping', json), draftDelay);
  let lastSources = get(sourcesDoc).text;
  let lastRules = JSON.stringify(mappingDraft(get(mapping)));
  const a = sourcesDoc.subscribe((s) => {
    if (s.text !== lastSources) saveSources((lastSources = s.text));
  });
  const b = mapping.subscribe((m) => {
    const json = JSON.stringify(mappingDraft(m));
    if (json !== lastRules) saveRules((lastRules = json));
  });
  // Leaving the page writes what is pending.
  const flush = () => (saveSources.flush(), saveRules.flush());
  window.addEventListener?.('pagehide', flush);
  stop = () => {
    flush();
    a();
    b();
    window.removeEventListener?.('pagehide', flush);
    stop = null;
  };
}

/** For tests: stops keeping drafts. */
export function stopDrafts(): void {
  stop?.();
}
