// How a run ended, in the operator's terms, from its record: a partial
// delivery (some images landed, some failed) is told apart from a failure,
// a check-only or dry run lists what it planned, and a finished run's bar is
// weighted by images so one large failed image does not read as 1%.

import { countsBlobs, durationBetween, formatBytes, plainMessage, plural } from '../format';
import type { RunDetail, RunItem } from '../types';

export type OutcomeKind = 'running' | 'succeeded' | 'partial' | 'checked' | 'failed' | 'cancelled' | 'interrupted';

export interface Outcome {
  kind: OutcomeKind;
  /** Items that reached their destination (or were already there). */
  delivered: RunItem[];
  failed: RunItem[];
  /** A check-only or dry run: what it would have done. */
  planned: RunItem[];
  /** 0..100 for the bar; null while the total is unknown. */
  percent: number | null;
  tone: 'accent' | 'ok' | 'warn' | 'danger' | 'muted';
  /** The sentence the card and the detail show once the run has ended; '' while it runs. */
  text: string;
}

const deliveredStatuses = new Set(['done', 'skipped', 'succeeded']);

/** One recorded option of a run (its options JSON), undefined when absent or unreadable. */
export function runOption(options: string | undefined, key: string): unknown {
  try {
    const o = JSON.parse(options || '{}');
    return o && typeof o === 'object' ? (o as Record<string, unknown>)[key] : undefined;
  } catch {
    return undefined;
  }
}

/** The noun a run's items are counted in. */
export function itemNoun(kind: string): string {
  return kind === 'demo' ? 'step' : 'image';
}

/**
 * The outcome of a run: `state` is the live state when known (it may be
 * newer than the record), `livePercent` the live bar of a running job.
 */
export function outcomeOf(run: RunDetail | null, state: string, livePercent: number | null = null): Outcome {
  const items = run?.items ?? [];
  const delivered = items.filter((i) => deliveredStatuses.has(i.status));
  const failed = items.filter((i) => i.status === 'failed');
  const planned = items.filter((i) => i.status === 'planned');
  const took = durationBetween(run?.startedAt, run?.finishedAt);
  const noun = itemNoun(run?.kind ?? '');
  const base = { delivered, failed, planned };
  const error = plainMessage(run?.error ?? '');

  if (state === 'running') return { ...base, kind: 'running', percent: livePercent, tone: 'accent', text: '' };

  // A dry run read and checked everything and wrote nothing: what it did is
  // the result, not "1 image delivered".
  if (state === 'succeeded' && runOption(run?.options, 'dryRun') === true) {
    const dest = String(runOption(run?.options, 'dest') ?? '');
    const what = countsBlobs(run?.kind ?? '') ? plural(run?.itemsDone ?? 0, 'blob') : plural(items.length, noun);
    return {
      ...base,
      planned: items,
      kind: 'checked',
      percent: 100,
      tone: 'ok',
      text: `Dry run in ${took}: the medium was read and checked (${what}, ${formatBytes(run?.bytesDone ?? 0)}); nothing was written${dest ? ` to ${dest}` : ''}.`,
    };
  }

  if (planned.length) {
    return {
      ...base,
      kind: 'checked',
      percent: 100,
      tone: failed.length ? 'warn' : 'ok',
      text: `Checked in ${took}: ${plural(planned.length, 'destination')} planned${failed.length ? `, ${failed.length} failed` : ''}; nothing was pushed.`,
    };
  }

  const byItems = items.length ? (100 * delivered.length) / (delivered.length + failed.length || 1) : null;
  if (failed.length && delivered.length && state !== 'cancelled') {
    const total = delivered.length + failed.length;
    const which = failed.map((f) => f.destination || f.source).slice(0, 3).join(', ');
    const more = failed.length > 3 ? ` and ${failed.length - 3} more` : '';
    return {
      ...base,
      kind: 'partial',
      percent: byItems,
      tone: 'warn',
      text: `${delivered.length} of ${plural(total, noun)} delivered in ${took}; ${failed.length} failed: ${which}${more}.`,
    };
  }

  switch (state) {
    case 'succeeded': {
      const count = items.length ? plural(delivered.length, noun) : plural(run?.itemsDone ?? 0, 'item');
      return { ...base, kind: 'succeeded', percent: 100, tone: 'ok', text: `Finished in ${took}: ${count}, ${formatBytes(run?.bytesDone ?? 0)}.` };
    }
    case 'cancelled':
      return {
        ...base,
        kind: 'cancelled',
        percent: byItems ?? livePercent,
        tone: 'muted',
        text: `Cancelled after ${took}${delivered.length ? `, with ${delivered.length} of ${plural(items.length, noun)} delivered` : ''}. What was copied is recorded.`,
      };
    case 'interrupted':
      return { ...base, kind: 'interrupted', percent: byItems ?? livePercent, tone: 'muted', text: `Interrupted: ${error || 'Ferry stopped while the run was going'}.` };
    default:
      return { ...base, kind: 'failed', percent: byItems ?? livePercent ?? 0, tone: 'danger', text: `Failed: ${error || 'see the log'}.` };
  }
}

/**
 * The state a row of the run list shows: "partial" for a run that ended with
 * both delivered and failed items, as its detail says.
 */
export function listState(run: { status: string; failures: number; itemsDone: number }, live?: string): string {
  const state = live ?? run.status;
  if ((state === 'failed' || state === 'succeeded') && run.failures > 0 && run.itemsDone > 0) return 'partial';
  return state;
}
