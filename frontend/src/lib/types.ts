// The data shapes the UI exchanges with the Go backend. Every shape of a bound
// method's arguments and results is the generated one (frontend/wailsjs/go/models.ts,
// from `make bindings`), seen through Plain; nothing here copies a Go struct.
// What remains is the UI's own: names for the string values the backend uses
// (states, kinds) and the payloads of events, which the bindings do not carry.

import type { jobs, main, mapping, mirror, ops, practice, progress, registry, sources, store, tape } from '../../wailsjs/go/models';

/**
 * The data of a generated model class, as JSON brings it: the fields without
 * the class's helper methods, nested classes likewise, and Go's time.Time
 * (generated as `any`) as the RFC 3339 string it is encoded as.
 */
export type Plain<T> = 0 extends 1 & T
  ? string
  : T extends (infer U)[]
    ? Plain<U>[]
    : T extends object
      ? { [K in keyof T as T[K] extends (...args: never[]) => unknown ? never : K]: Plain<T[K]> }
      : T;

/** Plain, for each argument of a bound method. */
export type PlainArgs<P extends unknown[]> = { [I in keyof P]: Plain<P[I]> };

// Settings (app_config.go)
export type Capabilities = Plain<main.Capabilities>;
export type ConfigFile = Plain<main.ConfigView>;
/** One problem found in a configuration text; line and column count from 1. */
export type Problem = Plain<main.ConfigProblem>;
export type Preferences = Plain<main.Preferences>;
/** One registry's settings as Settings edits them (config.RegistrySettings). */
export type RegistrySettings = Plain<main.RegistrySettings>;
/** What "Test connection" found (registry.Check), one entry per endpoint. */
export type RegistryCheck = Plain<main.RegistryCheck>;
export type EndpointCheck = Plain<registry.EndpointCheck>;
export type Theme = 'system' | 'light' | 'dark';

/** The theme a saved preference names; anything else is the system's. */
export function asTheme(t: string | undefined): Theme {
  return t === 'light' || t === 'dark' ? t : 'system';
}

// Jobs and history (backend/jobs, backend/store)
/** The states a job or run is in (store.Status*). */
export type JobState = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';
/** Cumulative counters: a later report never has smaller done values. */
export type Progress = Plain<progress.Event>;
export type JobSnapshot = Plain<jobs.Snapshot>;
export type Run = Plain<store.Run>;
export type RunItem = Plain<store.Item>;
export type Medium = Plain<store.Medium>;
export type RunDetail = Plain<store.RunDetail>;
export type RunFilter = Partial<Plain<store.RunFilter>>;
export type LogLine = Plain<store.LogLine>;
export type RunActions = Plain<main.RunActions>;
export type RunAction = Plain<ops.Action>;
export type RunReport = Plain<main.RunReport>;
/** Every run of one transfer, oldest first, with what each read and wrote. */
export type Story = Plain<store.Story>;
export type StoryRun = Plain<store.StoryRun>;

/** False for a missing time and for Go's zero time. */
export function isSet(iso?: string): iso is string {
  return !!iso && !iso.startsWith('0001-');
}

export const finishedStates: ReadonlySet<string> = new Set(['succeeded', 'failed', 'cancelled', 'interrupted']);

export function isFinished(state: string): boolean {
  return finishedStates.has(state);
}

// Events emitted by the backend (backend/jobs, app.go).
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
  /** A JobState. */
  state: string;
  error?: string;
}

/** A tape volume is full (or the wrong one is loaded): the operator loads the next one and confirms. */
export type MediumPrompt = Plain<main.MediumPrompt>;

// Sources lists (app_sources.go)
export type SourceEntry = Plain<sources.Source>;
export type SourcesCheck = Plain<main.SourcesCheck>;
/** One reference resolved against its registry without copying anything. */
export type Inspection = Plain<mirror.Inspection>;
/** A saved version of a sources list or mapping rules. */
export type SavedDocument = Plain<store.Document>;

/** A problem of one line of a sources list or rule text; line counts from 1, column 0 or missing when unknown. */
export interface LineProblem {
  line: number;
  column?: number;
  severity?: string;
  message: string;
}

// Mapping (app_mapping.go)
export type MapperKind = 'nest' | 'first-prefix' | 'all-prefix' | 'longest-prefix' | 'digests' | 'go-template';
export type PreviewRequest = Plain<main.PreviewRequest>;
export type PreviewResponse = Plain<main.PreviewResponse>;
export type MappingProblem = Plain<mapping.Problem>;
export type MappingRow = Plain<mapping.Row>;
export type MappingCounts = Plain<mapping.Counts>;

// Transfer (app_transfer.go)
export type TransferKind = 'gather' | 'serialize' | 'deserialize' | 'scatter' | 'clone' | 'archive' | 'unarchive' | 'verify';
/** A request as the Transfer page builds it: the generated shape, its kind one the page knows. */
export type TransferRequest = Omit<Plain<main.TransferRequest>, 'kind'> & { kind: TransferKind };
/** What a transfer will do, asked of the backend before Start. */
export type TransferPlan = Plain<main.TransferPlan>;
export type ReceiptSite = Plain<main.ReceiptSite>;

// Drives (app_drives.go)
export type TapeDrive = Plain<tape.Drive>;
export type TapeStatus = Plain<tape.Status>;
export type DriveInfo = Plain<tape.DriveInfo>;
export type DriveRate = Plain<tape.Rate>;
export type BuiltinStatus = Plain<main.BuiltinStatus>;
export type PracticeSet = Plain<main.PracticeSet>;
export type PracticeImage = Plain<practice.Image>;
