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
  /** The options as JSON. */
  options?: string;
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
  syncId?: string;
  volume: number;
  last?: boolean;
  bytes: number;
  createdAt?: string;
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
  /** RFC 3339; left out for no bound. */
  since?: string;
  until?: string;
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


// Sources lists (app_sources.go)

export interface SourceEntry {
  line: number;
  ref: string;
  labels?: Record<string, string> | null;
}

/** A problem of one line of a sources list or rule text; line counts from 1, column 0 or missing when unknown. */
export interface LineProblem {
  line: number;
  column?: number;
  severity?: 'error' | 'warning';
  message: string;
}

export interface SourcesCheck {
  sources: SourceEntry[] | null;
  problems: LineProblem[] | null;
}

/** One reference resolved against its registry without copying anything. */
export interface Inspection {
  ref: string;
  ok: boolean;
  digest?: string;
  mediaType?: string;
  platforms?: string[] | null;
  size: number;
  error?: string;
}

/** A saved version of a sources list or mapping rules. */
export interface SavedDocument {
  kind: string;
  name: string;
  version: number;
  content: string;
  meta: string;
  createdAt: string;
}

// Mapping (app_mapping.go)

export type MapperKind = 'nest' | 'first-prefix' | 'all-prefix' | 'longest-prefix' | 'digests' | 'go-template';

export interface PreviewRequest {
  kind: MapperKind;
  rules: string;
  sourcesText: string;
  indexRef: string;
}

export interface MappingProblem {
  severity: 'error' | 'warning';
  kind: string;
  destination?: string;
  message: string;
}

export interface MappingRow {
  source: string;
  digest?: string;
  destinations: string[] | null;
  problems?: MappingProblem[] | null;
}

export interface MappingCounts {
  sources: number;
  destinations: number;
  problems: number;
  errors: number;
  warnings: number;
  unmatched: number;
}

export interface PreviewResponse {
  result: { rows: MappingRow[] | null; counts: MappingCounts };
  ruleProblems: LineProblem[] | null;
  inputProblem: string;
  millis: number;
}

// Transfer (app_transfer.go)

export type TransferKind =
  | 'gather'
  | 'serialize'
  | 'deserialize'
  | 'scatter'
  | 'clone'
  | 'archive'
  | 'unarchive'
  | 'verify';

export interface TransferRequest {
  kind: TransferKind;
  sourcesText: string;
  selectors: string[];
  image: string;
  path: string;
  existing: string[];
  mapper: string;
  mapperKind: string;
  mapperRules: string;
  annotations: Record<string, string>;
  platforms: string[];
  indexFallback: boolean;
  referrers: boolean;
  check: boolean;
  continue: boolean;
  strict: boolean;
  dryRun: boolean;
  force: boolean;
  compression: string;
  blockSize: string;
  bufferSize: string;
  hwm: number;
  checkpoint: string;
  volumeSize: string;
  /** The equivalent command line, recorded in history (set when starting). */
  commandLine?: string;
}

/** What a transfer will do, asked of the backend before Start. */
export interface TransferPlan {
  images: number;
  bytesTotal: number;
  bytesDedup: number;
  destination: string;
  /** Free space at the destination; negative when unknown. */
  freeBytes: number;
  warnings: string[] | null;
  /** Scatter: the destinations the rules give the gather index's entries; null when the rules do not compile. */
  mapping?: MappingCounts | null;
}

/** A tape volume is full: the operator loads the next one and confirms. */
export interface MediumPrompt {
  id: string;
  volume: number;
  message: string;
}

export interface RunReport {
  format: 'json' | 'csv';
  name: string;
  content: string;
}

// Drives (app_drives.go)

export interface TapeDrive {
  name: string;
  path: string;
  number: number;
  mode: string;
  rewinding: boolean;
  scsiAddress: string;
  vendor: string;
  model: string;
  revision: string;
  serial: string;
  defaultBlockSize: number;
}

export interface TapeStatus {
  online: boolean;
  loaded: boolean;
  writeProtected: boolean;
  atBOT: boolean;
  atEOD: boolean;
  atFilemark: boolean;
  pastEarlyWarning: boolean;
  cleaningRequested: boolean;
  blockSize: number;
  density: number;
  fileNumber: number;
  blockNumber: number;
  partition: number;
  softErrors: number;
}

export interface DriveInfo {
  drive: TapeDrive;
  /** ready, empty, loading, busy or error */
  state: string;
  summary: string;
  status?: TapeStatus | null;
  error: string;
}

export interface DriveRate {
  interval: number;
  readMBps: number;
  writeMBps: number;
  busy: number;
}

/** Whether a follow-up applies to a run, and why not. */
export interface RunAction {
  available: boolean;
  reason: string;
}

/** The follow-ups History offers for one run (decided by the backend, which refuses by the same rules). */
export interface RunActions {
  resume: RunAction;
  rerun: RunAction;
  /** The newest run that resumed or re-ran this one. */
  continuedBy: string;
}

/** Ferry's built-in registry (App.BuiltinRegistryStatus). */
export interface BuiltinStatus {
  running: boolean;
  /** Another process (ferry registry serve) answers at the address. */
  elsewhere: boolean;
  address: string;
  url: string;
  root: string;
  size: number;
  repositories: string[] | null;
  error?: string;
}

export interface PracticeImage {
  ref: string;
  digest: string;
  kind: string;
}

/** The practice transfer as pushed (App.StartPractice). */
export interface PracticeSet {
  host: string;
  dir: string;
  images: PracticeImage[];
  signature: PracticeImage;
  sources: string;
  rules: string;
  gathered: string;
  archive: string;
  received: string;
  mapping: string;
}
