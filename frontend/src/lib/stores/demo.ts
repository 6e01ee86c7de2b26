// The demo job card's job id and error, kept across page visits.

import { writable } from 'svelte/store';
import { api, errorMessage } from '../api';

export const demoSteps = 40;
export const demoStepMillis = 250;

export const demo = writable<{ jobId: string; error: string; starting: boolean }>({ jobId: '', error: '', starting: false });

export async function startDemo(): Promise<void> {
  demo.set({ jobId: '', error: '', starting: true });
  try {
    const jobId = await api.startDemo(demoSteps, demoStepMillis);
    demo.set({ jobId, error: '', starting: false });
  } catch (e) {
    demo.set({ jobId: '', error: errorMessage(e), starting: false });
  }
}
