import { get } from 'svelte/store';
import { beforeEach, describe, expect, it } from 'vitest';
import { editForm, handOffFinished, resetTransfer, transfer } from './transfer';
import type { JobView } from './jobs';

const job = (id: string, state: string) => [id, { id, state } as JobView] as const;

describe('hand-off between steps', () => {
  beforeEach(() => resetTransfer());

  it('fills the next form once the step the page started has succeeded, once per job', () => {
    editForm('gather', { image: 'reg.low/t/g:1' });
    transfer.update((s) => ({ ...s, jobs: { gather: 'g1', deserialize: 'd1' } }));
    handOffFinished(new Map([job('g1', 'running')]));
    expect(get(transfer).forms.serialize.image).toBe('');
    handOffFinished(new Map([job('g1', 'succeeded'), job('d1', 'failed')]));
    const t = get(transfer);
    expect(t.forms.serialize.image).toBe('reg.low/t/g:1');
    expect(t.filled.serialize).toMatchObject({ from: 'g1', fromKind: 'gather' });
    expect(t.forms.scatter.image).toBe('');
    // The operator changes the filled form: a later event does not undo it.
    editForm('serialize', { image: 'reg.low/other:2' });
    handOffFinished(new Map([job('g1', 'succeeded')]));
    expect(get(transfer).forms.serialize.image).toBe('reg.low/other:2');
  });
});
