// The one typed module through which the UI calls the backend. Every call goes
// to window.go.main.App, which Wails provides in the desktop window and the
// bridge shim provides in a browser; nothing else in the UI touches window.go.

import type {
  BuiltinStatus,
  Capabilities,
  ConfigFile,
  DriveInfo,
  DriveRate,
  Inspection,
  JobSnapshot,
  LogLine,
  Preferences,
  PreviewRequest,
  PreviewResponse,
  PracticeSet,
  Problem,
  Run,
  RunDetail,
  RunFilter,
  RunActions,
  RunReport,
  SavedDocument,
  SourcesCheck,
  TapeStatus,
  TransferPlan,
  TransferRequest,
} from './types';

type Bound = Record<string, (...args: unknown[]) => Promise<unknown>>;

declare global {
  interface Window {
    go?: { main?: { App?: Bound } };
  }
}

/** An error from the backend, carrying the message the backend gave. */
export class BackendError extends Error {
  readonly method: string;
  constructor(method: string, message: string) {
    super(message);
    this.name = 'BackendError';
    this.method = method;
  }
}

/** The readable message of anything a call may reject with (Wails rejects with a string). */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  if (e && typeof e === 'object' && 'message' in e) return String((e as { message: unknown }).message);
  return String(e);
}

async function call<T>(method: string, ...args: unknown[]): Promise<T> {
  const fn = window.go?.main?.App?.[method];
  if (typeof fn !== 'function') {
    throw new BackendError(method, `backend not available: ${method}`);
  }
  try {
    return (await fn(...args)) as T;
  } catch (e) {
    throw new BackendError(method, errorMessage(e));
  }
}

/** True when the backend offers the method (newer backends add methods). */
export function hasMethod(method: string): boolean {
  return typeof window.go?.main?.App?.[method] === 'function';
}

// Go encodes a nil slice as null; the UI always wants an array.
async function list<T>(method: string, ...args: unknown[]): Promise<T[]> {
  return (await call<T[] | null>(method, ...args)) ?? [];
}

export const api = {
  version: () => call<string>('Version'),
  capabilities: () => call<Capabilities>('Capabilities'),

  getConfig: () => call<ConfigFile>('GetConfig'),
  validateConfig: (text: string) => list<Problem>('ValidateConfig', text),
  saveConfig: (text: string) => call<void>('SaveConfig', text),

  getPreferences: () => call<Preferences>('GetPreferences'),
  savePreferences: (p: Preferences) => call<void>('SavePreferences', p),

  startDemo: (steps: number, stepMillis: number) => call<string>('StartDemo', steps, stepMillis),
  cancelJob: (id: string) => call<void>('CancelJob', id),
  activeJobs: () => list<JobSnapshot>('ActiveJobs'),

  listRuns: (filter: RunFilter = {}) => list<Run>('ListRuns', filter),
  getRun: (id: string) => call<RunDetail>('GetRun', id),
  runLog: (id: string) => list<LogLine>('RunLog', id),
  exportRun: (id: string, format: 'json' | 'csv') => call<RunReport>('ExportRun', id, format),
  runActions: (id: string) => call<RunActions>('RunActions', id),
  resumeRun: (id: string) => call<string>('ResumeRun', id),
  rerunFailed: (id: string) => call<string>('RerunFailed', id),

  checkSources: (text: string) => call<SourcesCheck>('CheckSources', text),
  inspectSources: (text: string) => list<Inspection>('InspectSources', text),
  saveDocument: (kind: string, name: string, content: string, meta: string) =>
    call<number>('SaveDocument', kind, name, content, meta),
  listDocuments: (kind: string) => list<SavedDocument>('ListDocuments', kind),
  documentVersions: (kind: string, name: string) => list<SavedDocument>('DocumentVersions', kind, name),
  getDocument: (kind: string, name: string, version = 0) => call<SavedDocument>('GetDocument', kind, name, version),

  draft: (name: string) => call<string>('Draft', name),
  saveDraft: (name: string, content: string) => call<void>('SaveDraft', name, content),

  chooseOpenFile: (title: string) => call<string>('ChooseOpenFile', title),
  chooseSaveFile: (title: string, defaultName: string) => call<string>('ChooseSaveFile', title, defaultName),
  readTextFile: (path: string) => call<string>('ReadTextFile', path),
  writeTextFile: (path: string, content: string) => call<void>('WriteTextFile', path, content),

  previewMapping: (req: PreviewRequest) => call<PreviewResponse>('PreviewMapping', req),

  planTransfer: (req: TransferRequest) => call<TransferPlan>('PlanTransfer', req),
  startTransfer: (req: TransferRequest) => call<string>('StartTransfer', req),
  answerMedium: (id: string, ok: boolean) => call<void>('AnswerMedium', id, ok),

  listDrives: () => list<DriveInfo>('ListDrives'),
  drivesHint: () => call<string>('DrivesHint'),
  driveStatus: (dev: string) => call<TapeStatus>('DriveStatus', dev),
  rewindDrive: (dev: string) => call<void>('RewindDrive', dev),
  ejectDrive: (dev: string) => call<void>('EjectDrive', dev),
  driveThroughput: (dev: string) => call<DriveRate>('DriveThroughput', dev),

  builtinStatus: () => call<BuiltinStatus>('BuiltinRegistryStatus'),
  startBuiltin: () => call<BuiltinStatus>('StartBuiltinRegistry'),
  stopBuiltin: () => call<BuiltinStatus>('StopBuiltinRegistry'),
  startPractice: () => call<PracticeSet>('StartPractice'),
};

export type Api = typeof api;
