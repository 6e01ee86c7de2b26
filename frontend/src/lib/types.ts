// Data shapes exchanged with the Go backend (app.go). Field names follow the
// JSON tags of the Go types; keep the two in step.

export type Theme = 'system' | 'light' | 'dark';

export interface Capabilities {
  demoJobs: boolean;
  os: string;
}

export interface ConfigFile {
  path: string;
  text: string;
  exists: boolean;
}

/** One problem found in a configuration text; line and column count from 1. */
export interface Problem {
  line: number;
  column: number;
  message: string;
}

export interface Preferences {
  theme: Theme;
  blockSize: string;
  bufferSize: string;
  concurrency: number;
  dataDir: string;
  storeDir: string;
}

export type JobState = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

/** Cumulative counters: a later report never has smaller done values. */
export interface Progress {
  phase: string;
  bytesDone: number;
  bytesTotal: number;
  itemsDone: number;
  itemsTotal: number;
  current?: string;
  bufferFill?: number;
  message?: string;
}

export interface JobSnapshot {
  id: string;
  kind: string;
  state: JobState;
  startedAt: string;
  progress: Progress;
}

export interface Run {
  id: string;
  kind: string;
  /** The equivalent CLI command line. */
  args: string;
  status: JobState;
  error: string;
  startedAt: string;
  /** Go's zero time ("0001-01-01T00:00:00Z") while the run has not finished: see isSet(). */
  finishedAt: string;
  bytesDone: number;
  bytesTotal: number;
  itemsDone: number;
  itemsTotal: number;
  failures: number;
  resumedFrom?: string;
}

export interface RunItem {
  source: string;
  destination: string;
  digest: string;
  status: string;
  error: string;
  bytes: number;
}

export interface Medium {
  label: string;
  device: string;
  volume: number;
  bytes: number;
}

export interface RunDetail extends Run {
  items: RunItem[] | null;
  media: Medium[] | null;
  blobsConfirmed: number;
  bytesConfirmed: number;
  lastOffset: number;
}

/** False for a missing time and for Go's zero time. */
export function isSet(iso?: string): iso is string {
  return !!iso && !iso.startsWith('0001-');
}

export interface RunFilter {
  kind?: string;
  status?: string;
  text?: string;
  limit?: number;
}

export interface LogLine {
  time: string;
  level: string;
  message: string;
}

// Events emitted by the backend.
export interface JobProgressEvent {
  id: string;
  kind: string;
  progress: Progress;
}

export interface JobLogEvent extends LogLine {
  id: string;
}

export interface JobStateEvent {
  id: string;
  kind: string;
  state: JobState;
  error?: string;
}

export const finishedStates: ReadonlySet<JobState> = new Set([
  'succeeded',
  'failed',
  'cancelled',
  'interrupted',
]);

export function isFinished(state: JobState): boolean {
  return finishedStates.has(state);
}

