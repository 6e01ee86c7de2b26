// The one typed module through which the UI calls the backend. Every call
// goes through the generated bindings (frontend/wailsjs/go/main/App.js, from
// `make bindings`), which call window.go.main.App: Wails provides it in the
// desktop window, the bridge shim (backend/bridge) in a browser. Method names
// and argument and result types come from the bindings, so a renamed or
// changed Go method fails `npm run build` instead of a click.

import * as App from '../../wailsjs/go/main/App';
import type { Plain, PlainArgs } from './types';

type AppModule = typeof App;
export type Method = keyof AppModule;
type Result<M extends Method> = Plain<Awaited<ReturnType<AppModule[M]>>>;
type Args<M extends Method> = PlainArgs<Parameters<AppModule[M]>>;

declare global {
  interface Window {
    go?: { main?: { App?: Partial<Record<Method, unknown>> } };
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

/** True when the backend is there to answer the method (not in unit tests without one). */
export function hasMethod(method: Method): boolean {
  return typeof window.go?.main?.App?.[method] === 'function';
}

async function call<M extends Method>(method: M, ...args: Args<M>): Promise<Result<M>> {
  if (!hasMethod(method)) throw new BackendError(method, `backend not available: ${method}`);
  const fn = App[method] as (...a: unknown[]) => Promise<unknown>;
  try {
    return (await fn(...args)) as Result<M>;
  } catch (e) {
    throw new BackendError(method, errorMessage(e));
  }
}

// Go encodes a nil slice as null; the UI always wants an array.
async function list<M extends Method>(method: M, ...args: Args<M>): Promise<NonNullable<Result<M>>> {
  return ((await call(method, ...args)) ?? []) as NonNullable<Result<M>>;
}

export const api = {
  version: () => call('Version'),
  capabilities: () => call('Capabilities'),

  getConfig: () => call('GetConfig'),
  validateConfig: (text: string) => list('ValidateConfig', text),
  saveConfig: (text: string) => call('SaveConfig', text),

  listRegistries: () => list('ListRegistries'),
  saveRegistry: (r: Args<'SaveRegistry'>[0]) => call('SaveRegistry', r),
  removeRegistry: (host: string) => call('RemoveRegistry', host),
  testRegistry: (host: string) => call('TestRegistry', host),
  registryLogin: (host: string, user: string, password: string) => call('RegistryLogin', host, user, password),
  registryLogout: (host: string) => call('RegistryLogout', host),

  getPreferences: () => call('GetPreferences'),
  savePreferences: (p: Args<'SavePreferences'>[0]) => call('SavePreferences', p),

  startDemo: (steps: number, stepMillis: number) => call('StartDemo', steps, stepMillis),
  cancelJob: (id: string) => call('CancelJob', id),
  activeJobs: () => list('ActiveJobs'),

  listRuns: (filter: Partial<Args<'ListRuns'>[0]> = {}) => list('ListRuns', filter as Args<'ListRuns'>[0]),
  getRun: (id: string) => call('GetRun', id),
  runLog: (id: string) => list('RunLog', id),
  exportRun: (id: string, format: 'json' | 'csv') => call('ExportRun', id, format),
  printableReport: (id: string) => call('PrintableReport', id),
  runActions: (id: string) => call('RunActions', id),
  resumeRun: (id: string) => call('ResumeRun', id),
  rerunFailed: (id: string) => call('RerunFailed', id),

  checkSources: (text: string) => call('CheckSources', text),
  inspectSources: (text: string) => list('InspectSources', text),
  saveDocument: (kind: string, name: string, content: string, meta: string) => call('SaveDocument', kind, name, content, meta),
  listDocuments: (kind: string) => list('ListDocuments', kind),
  documentVersions: (kind: string, name: string) => list('DocumentVersions', kind, name),
  getDocument: (kind: string, name: string, version = 0) => call('GetDocument', kind, name, version),

  draft: (name: string) => call('Draft', name),
  saveDraft: (name: string, content: string) => call('SaveDraft', name, content),

  chooseOpenFile: (title: string) => call('ChooseOpenFile', title),
  chooseSaveFile: (title: string, defaultName: string) => call('ChooseSaveFile', title, defaultName),
  readTextFile: (path: string) => call('ReadTextFile', path),
  writeTextFile: (path: string, content: string) => call('WriteTextFile', path, content),

  previewMapping: (req: Args<'PreviewMapping'>[0]) => call('PreviewMapping', req),

  planTransfer: (req: Args<'PlanTransfer'>[0]) => call('PlanTransfer', req),
  receiptSites: () => list('ReceiptSites'),
  importReceipt: (path: string) => call('ImportReceipt', path),
  commandLine: (req: Args<'CommandLine'>[0]) => call('CommandLine', req),
  transferFields: async () => (await call('TransferFields')) ?? {},
  transferStory: (id: string) => call('TransferStory', id),
  startTransfer: (req: Args<'StartTransfer'>[0]) => call('StartTransfer', req),
  answerMedium: (id: string, ok: boolean) => call('AnswerMedium', id, ok),
  pendingMedia: () => list('PendingMedia'),

  listDrives: () => list('ListDrives'),
  drivesHint: () => call('DrivesHint'),
  driveStatus: (dev: string) => call('DriveStatus', dev),
  rewindDrive: (dev: string) => call('RewindDrive', dev),
  ejectDrive: (dev: string) => call('EjectDrive', dev),
  driveThroughput: (dev: string) => call('DriveThroughput', dev),

  builtinStatus: () => call('BuiltinRegistryStatus'),
  startBuiltin: () => call('StartBuiltinRegistry'),
  stopBuiltin: () => call('StopBuiltinRegistry'),
  startPractice: () => call('StartPractice'),
};

export type Api = typeof api;
