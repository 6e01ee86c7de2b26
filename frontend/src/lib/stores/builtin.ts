// The built-in registry as the Transfer forms see it: its address and
// whether it answers, so that a form naming it can offer to start it.

import { writable } from 'svelte/store';
import { api, errorMessage, hasMethod } from '../api';
import type { BuiltinStatus } from '../types';

export const builtin = writable<{ status: BuiltinStatus | null; busy: boolean; error: string }>({ status: null, busy: false, error: '' });

async function run(f: () => Promise<BuiltinStatus>): Promise<void> {
  builtin.update((b) => ({ ...b, busy: true, error: '' }));
  try {
    const status = await f();
    builtin.set({ status, busy: false, error: '' });
  } catch (e) {
    builtin.update((b) => ({ ...b, busy: false, error: errorMessage(e) }));
  }
}

export function refreshBuiltin(): Promise<void> {
  return hasMethod('BuiltinRegistryStatus') ? run(api.builtinStatus) : Promise.resolve();
}

export function startBuiltin(): Promise<void> {
  return run(api.startBuiltin);
}

/** The registry host of a reference ("127.0.0.1:5000/low/x:1" -> "127.0.0.1:5000"); "" without one. */
export function registryHost(ref: string): string {
  const first = ref.trim().split('/')[0];
  return ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : '';
}

/** Whether a reference names the built-in registry while nothing serves it. */
export function needsBuiltin(ref: string, status: BuiltinStatus | null): boolean {
  if (!status || status.running || status.elsewhere) return false;
  const host = registryHost(ref);
  return !!host && (host === status.address || host.replace(/^localhost:/, '127.0.0.1:') === status.address);
}
