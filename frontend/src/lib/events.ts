// Subscriptions to backend events over window.runtime (Wails, or the bridge
// shim in a browser). One runtime listener per event name fans out to local
// callbacks, so one component unsubscribing never silences another: Wails'
// EventsOff(name) would drop every listener of that name.

import type { JobLogEvent, JobProgressEvent, JobStateEvent, MediumPrompt } from './types';

type Callback = (data: any) => void;
type Unsubscribe = () => void;

interface Runtime {
  EventsOn(name: string, cb: Callback): (() => void) | void;
  EventsOff(name: string, ...more: string[]): void;
}

declare global {
  interface Window {
    runtime?: Runtime;
  }
}

export interface EventMap {
  'job:progress': JobProgressEvent;
  'job:log': JobLogEvent;
  'job:state': JobStateEvent;
  /** A tape volume is full; answer with api.answerMedium(id, ok). */
  'job:medium': MediumPrompt;
  /** Emitted by the browser bridge after its event stream reconnects; events may have been missed. */
  'bridge:reconnect': null;
}

interface Channel {
  callbacks: Set<Callback>;
  off: () => void;
}

const channels = new Map<string, Channel>();

function attach(name: string): Channel | undefined {
  const rt = window.runtime;
  if (!rt) return undefined;
  const callbacks = new Set<Callback>();
  const returned = rt.EventsOn(name, (data: unknown) => {
    // Copy: a callback may unsubscribe while we iterate.
    for (const cb of [...callbacks]) {
      try {
        cb(data);
      } catch (e) {
        console.error(`listener for ${name} failed`, e);
      }
    }
  });
  const off = typeof returned === 'function' ? returned : () => rt.EventsOff(name);
  const ch = { callbacks, off };
  channels.set(name, ch);
  return ch;
}

/** Calls cb for every event of that name until the returned function is called. */
export function on<K extends keyof EventMap>(name: K, cb: (data: EventMap[K]) => void): Unsubscribe;
export function on(name: string, cb: Callback): Unsubscribe;
export function on(name: string, cb: Callback): Unsubscribe {
  const ch = channels.get(name) ?? attach(name);
  if (!ch) return () => {};
  ch.callbacks.add(cb);
  let done = false;
  return () => {
    if (done) return;
    done = true;
    ch.callbacks.delete(cb);
    if (ch.callbacks.size === 0) {
      channels.delete(name);
      ch.off();
    }
  };
}

export interface JobHandlers {
  progress?: (e: JobProgressEvent) => void;
  log?: (e: JobLogEvent) => void;
  state?: (e: JobStateEvent) => void;
}

/** Follows one job: only events carrying its id reach the handlers. */
export function onJob(id: string, h: JobHandlers): Unsubscribe {
  const offs: Unsubscribe[] = [];
  if (h.progress) offs.push(on('job:progress', (e) => e?.id === id && h.progress!(e)));
  if (h.log) offs.push(on('job:log', (e) => e?.id === id && h.log!(e)));
  if (h.state) offs.push(on('job:state', (e) => e?.id === id && h.state!(e)));
  return () => offs.forEach((off) => off());
}

/** Forgets every subscription; for tests. */
export function resetForTests(): void {
  for (const ch of channels.values()) ch.off();
  channels.clear();
}
