// Facts about the backend that hold for the whole session.

import { writable } from 'svelte/store';
import { api, errorMessage } from '../api';
import type { Capabilities } from '../types';

export interface AppInfo {
  version: string;
  capabilities: Capabilities;
  /** Set when the backend could not be reached at start. */
  error: string;
}

export const appInfo = writable<AppInfo>({ version: '', capabilities: { demoJobs: false, os: '' }, error: '' });

export async function loadAppInfo(): Promise<void> {
  try {
    const [version, capabilities] = await Promise.all([api.version(), api.capabilities()]);
    appInfo.set({ version, capabilities, error: '' });
  } catch (e) {
    appInfo.update((s) => ({ ...s, error: errorMessage(e) }));
  }
}
