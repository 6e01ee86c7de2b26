// The Transfer page's state: the chosen operation, each operation's form,
// the plan asked before Start, and the job each form started. Kept across
// page visits so a running job is still followed on return.

import { get, writable } from 'svelte/store';
import { api, errorMessage, hasMethod } from '../api';
import { debounce, latestOnly } from '../latest';
import { blankForm, handOff, operations, restoreForm, type HandOff, type KindFields, type TransferForm } from '../model/transfer';
import type { JobView } from './jobs';
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
  /** The jobs whose finish has filled in the next step's form. */
  handed: string[];
  /** Per operation, what the step before it filled in. */
  filled: Partial<Record<TransferKind, HandOff & { from: string; fromKind: TransferKind }>>;
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
    handed: [],
    filled: {},
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

/** The options each operation takes, from the backend (App.TransferFields). */
export const kindFields = writable<KindFields>({});

export async function loadKindFields(): Promise<void> {
  if (Object.keys(get(kindFields)).length || !hasMethod('TransferFields')) return;
  try {
    kindFields.set(await api.transferFields());
  } catch (e) {
    patch({ startError: `Could not learn the options of each operation: ${errorMessage(e)}` });
  }
}

/**
 * Hands every step the Transfer page started and that has succeeded on to
 * the next one: its form is filled in from the finished one, once per job.
 */
export function handOffFinished(live: Map<string, JobView>): void {
  transfer.update((s) => {
    let forms = s.forms;
    let filled = s.filled;
    const handed = [...s.handed];
    for (const [kind, id] of Object.entries(s.jobs) as [TransferKind, string][]) {
      if (handed.includes(id) || live.get(id)?.state !== 'succeeded') continue;
      handed.push(id);
      const h = handOff(kind, s.forms[kind]);
      if (!h) continue;
      forms = { ...forms, [h.next]: { ...forms[h.next], ...h.fill } };
      filled = { ...filled, [h.next]: { ...h, from: id, fromKind: kind } };
    }
    return handed.length === s.handed.length ? s : { ...s, forms, filled, handed: handed.slice(-50) };
  });
}

/** The part of the page kept as a draft: the operation shown, every form, and the jobs followed. */
export interface TransferDraft {
  kind: TransferKind;
  forms: Record<TransferKind, TransferForm>;
  jobs: Partial<Record<TransferKind, string>>;
  handed: string[];
  filled: TransferState['filled'];
}

export function transferDraft(s: TransferState): TransferDraft {
  return { kind: s.kind, forms: s.forms, jobs: s.jobs, handed: s.handed, filled: s.filled };
}

/** Puts a kept draft back; unknown operations and fields are dropped. */
export function restoreTransfer(d: Partial<TransferDraft>): void {
  transfer.update((s) => {
    const forms = { ...s.forms };
    const jobs: TransferState['jobs'] = {};
    const filled: TransferState['filled'] = {};
    const isKind = (k: unknown): k is TransferKind => operations.some((o) => o.kind === k);
    for (const o of operations) {
      if (d.forms?.[o.kind]) forms[o.kind] = restoreForm(d.forms[o.kind], s.forms[o.kind]);
      const id = d.jobs?.[o.kind];
      if (typeof id === 'string' && id) jobs[o.kind] = id;
      const f = d.filled?.[o.kind];
      if (f && typeof f.from === 'string' && typeof f.text === 'string' && isKind(f.fromKind) && f.next === o.kind) filled[o.kind] = { ...f, fill: {} };
    }
    const kind = operations.some((o) => o.kind === d.kind) ? d.kind! : s.kind;
    const handed = Array.isArray(d.handed) ? d.handed.filter((x) => typeof x === 'string') : s.handed;
    return { ...s, kind, forms, jobs: { ...jobs, ...s.jobs }, handed, filled: { ...filled, ...s.filled } };
  });
}
