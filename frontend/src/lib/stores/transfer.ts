// The Transfer page's state: the chosen operation, each operation's form,
// the plan asked before Start, and the job each form started. Kept across
// page visits so a running job is still followed on return.

import { get, writable } from 'svelte/store';
import { api, errorMessage, hasMethod } from '../api';
import { debounce, latestOnly } from '../latest';
import { blankForm, operations, type TransferForm } from '../model/transfer';
import type { Preferences, TransferKind, TransferPlan, TransferRequest } from '../types';

export interface TransferState {
  kind: TransferKind;
  forms: Record<TransferKind, TransferForm>;
  /** Whether the forms got the saved preferences' defaults. */
  defaulted: boolean;
  plan: TransferPlan | null;
  planOf: string;
  planning: boolean;
  planError: string;
  /** The job each operation last started. */
  jobs: Partial<Record<TransferKind, string>>;
  starting: boolean;
  startError: string;
}

function initial(): TransferState {
  return {
    kind: 'gather',
    forms: Object.fromEntries(operations.map((o) => [o.kind, blankForm()])) as Record<TransferKind, TransferForm>,
    defaulted: false,
    plan: null,
    planOf: '',
    planning: false,
    planError: '',
    jobs: {},
    starting: false,
    startError: '',
  };
}

export const transfer = writable<TransferState>(initial());

const patch = (p: Partial<TransferState>) => transfer.update((s) => ({ ...s, ...p }));

export function setOperation(kind: TransferKind): void {
  requested = '';
  patch({ kind, startError: '', plan: null, planOf: '', planError: '' });
}

export function editForm(kind: TransferKind, p: Partial<TransferForm>): void {
  transfer.update((s) => ({ ...s, forms: { ...s.forms, [kind]: { ...s.forms[kind], ...p } }, startError: '' }));
}

/** Fills block and buffer sizes from the preferences, once, where the operator typed nothing. */
export function applyDefaults(prefs: Preferences): void {
  transfer.update((s) => {
    if (s.defaulted) return s;
    const forms = { ...s.forms };
    for (const k of Object.keys(forms) as TransferKind[]) {
      const f = forms[k];
      forms[k] = { ...f, blockSize: f.blockSize || prefs.blockSize, bufferSize: f.bufferSize || prefs.bufferSize };
    }
    return { ...s, forms, defaulted: true };
  });
}

const fetchPlan = latestOnly(
  (req: TransferRequest) => api.planTransfer(req).then((plan) => ({ plan, key: JSON.stringify(req) })),
  ({ plan, key }) => patch({ plan, planOf: key, planning: false, planError: '' }),
  (e) => patch({ plan: null, planning: false, planError: errorMessage(e) }),
);
const planSoon = debounce((req: TransferRequest) => fetchPlan(req), 400);

let requested = '';

/** Asks the backend for the plan of a request when it can tell one; otherwise the page shows what the form knows. */
export function requestPlan(req: TransferRequest, ready: boolean): void {
  const s = get(transfer);
  if (!hasMethod('PlanTransfer') || !ready) {
    requested = '';
    if (s.plan || s.planning || s.planError) patch({ plan: null, planOf: '', planning: false, planError: '' });
    return;
  }
  const key = JSON.stringify(req);
  if (key === requested) return;
  requested = key;
  if (!s.planning) patch({ planning: true });
  planSoon(req);
}

export async function startTransfer(req: TransferRequest): Promise<string | null> {
  if (get(transfer).starting) return null;
  patch({ starting: true, startError: '' });
  try {
    const id = await api.startTransfer(req);
    transfer.update((s) => ({ ...s, starting: false, jobs: { ...s.jobs, [req.kind]: id } }));
    return id;
  } catch (e) {
    patch({ starting: false, startError: errorMessage(e) });
    return null;
  }
}

/** Forgets the finished job of an operation, back to its form. */
export function dismissJob(kind: TransferKind): void {
  transfer.update((s) => {
    const jobs = { ...s.jobs };
    delete jobs[kind];
    return { ...s, jobs };
  });
}

export function resetTransfer(): void {
  requested = '';
  transfer.set(initial());
}
