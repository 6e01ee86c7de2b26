// "Load the next tape" prompts: a job writing to tape fills a volume, the
// backend emits job:medium and waits until the operator answers.

import { writable, get } from 'svelte/store';
import { api, errorMessage } from '../api';
import type { MediumPrompt } from '../types';

export interface MediumState {
  /** Prompts not answered yet, oldest first; one per job. */
  pending: MediumPrompt[];
  answering: boolean;
  error: string;
}

export function createMediumStore(answer: (id: string, ok: boolean) => Promise<void> = (id, ok) => api.answerMedium(id, ok)) {
  const store = writable<MediumState>({ pending: [], answering: false, error: '' });
  return {
    subscribe: store.subscribe,
    /** A new prompt replaces an older one of the same job. */
    prompt(p: MediumPrompt) {
      if (!p?.id) return;
      store.update((s) => ({ ...s, error: '', pending: [...s.pending.filter((q) => q.id !== p.id), p] }));
    },
    /** The job ended: its prompt is moot. */
    forget(id: string) {
      store.update((s) => ({ ...s, pending: s.pending.filter((q) => q.id !== id) }));
    },
    async answer(id: string, ok: boolean): Promise<boolean> {
      if (get(store).answering) return false;
      store.update((s) => ({ ...s, answering: true, error: '' }));
      try {
        await answer(id, ok);
        store.update((s) => ({ ...s, answering: false, pending: s.pending.filter((q) => q.id !== id) }));
        return true;
      } catch (e) {
        store.update((s) => ({ ...s, answering: false, error: errorMessage(e) }));
        return false;
      }
    },
  };
}

export const medium = createMediumStore();
