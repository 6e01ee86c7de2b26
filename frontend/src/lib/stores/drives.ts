// Tape drives as last listed, shared by the Drives page and the Transfer
// page's medium chooser.

import { writable } from 'svelte/store';
import { api, errorMessage } from '../api';
import type { DriveInfo } from '../types';

export interface DrivesState {
  loaded: boolean;
  loading: boolean;
  list: DriveInfo[];
  hint: string;
  error: string;
}

export const drives = writable<DrivesState>({ loaded: false, loading: false, list: [], hint: '', error: '' });

export async function refreshDrives(): Promise<void> {
  drives.update((s) => ({ ...s, loading: true }));
  try {
    const list = await api.listDrives();
    const hint = list.length ? '' : await api.drivesHint().catch(() => '');
    drives.set({ loaded: true, loading: false, list, hint, error: '' });
  } catch (e) {
    drives.update((s) => ({ ...s, loaded: true, loading: false, error: errorMessage(e) }));
  }
}
