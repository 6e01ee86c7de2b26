// The Transfer page's forms: the operations, which options each takes (the
// backend says: the same as its CLI verb), the form state, and the request
// sent to StartTransfer.

import type { Preferences, TransferKind, TransferRequest } from '../types';

export type Field =
  | 'sources'
  | 'selectors'
  | 'image'
  | 'path'
  | 'existing'
  | 'sinceReceipt'
  | 'mapper'
  | 'annotations'
  | 'platforms'
  | 'indexFallback'
  | 'referrers'
  | 'check'
  | 'continue'
  | 'strict'
  | 'dryRun'
  | 'force'
  | 'compression'
  | 'blockSize'
  | 'bufferSize'
  | 'hwm'
  | 'checkpoint'
  | 'volumeSize';

export interface Operation {
  kind: TransferKind;
  title: string;
  side: 'Low side' | 'High side' | 'Connected' | 'Either side';
  text: string;
  /** What the image field means for this operation, when it has one. */
  imageLabel?: string;
  /** Whether the path is read (a medium to read) or written. */
  pathMode?: 'read' | 'write';
}

export const operations: readonly Operation[] = [
  {
    kind: 'gather',
    title: 'Gather',
    side: 'Low side',
    text: 'Copy every image of the sources list into one repository:tag on a low-side registry.',
    imageLabel: 'Gather into (repository:tag)',
  },
  {
    kind: 'serialize',
    title: 'Serialize',
    side: 'Low side',
    text: 'Write a gathered image to a tar file or a tape drive.',
    imageLabel: 'Gathered image (repository:tag)',
    pathMode: 'write',
  },
  {
    kind: 'archive',
    title: 'Archive',
    side: 'Low side',
    text: 'Gather into the local store and serialize in one go; no registry needed.',
    pathMode: 'write',
  },
  {
    kind: 'deserialize',
    title: 'Deserialize',
    side: 'High side',
    text: 'Read a tar file or tape into a repository:tag on a high-side registry.',
    imageLabel: 'Deserialize into (repository:tag)',
    pathMode: 'read',
  },
  {
    kind: 'scatter',
    title: 'Scatter',
    side: 'High side',
    text: 'Push every image of a deserialized gather to the destinations its mapping gives.',
    imageLabel: 'Deserialized image (repository:tag)',
  },
  {
    kind: 'unarchive',
    title: 'Unarchive',
    side: 'High side',
    text: 'Deserialize into the local store and scatter in one go.',
    pathMode: 'read',
  },
  {
    kind: 'clone',
    title: 'Clone',
    side: 'Connected',
    text: 'Copy every source straight to its mapped destinations, for connected networks.',
  },
  {
    kind: 'verify',
    title: 'Verify',
    side: 'Either side',
    text: 'Read a tar file or tape end to end and check every blob against its digest.',
    pathMode: 'read',
  },
];

export function operation(kind: TransferKind): Operation {
  return operations.find((o) => o.kind === kind)!;
}

/**
 * The request fields (JSON keys) each operation takes, as the backend's
 * operations layer declares them (App.TransferFields): a form shows only
 * the options its operation accepts.
 */
export type KindFields = Partial<Record<string, string[]>>;

/** The request key a form field fills. */
const requestKey = (f: Field): string => (f === 'sources' ? 'sourcesText' : f);

export function hasField(kind: TransferKind, f: Field, fields: KindFields): boolean {
  return fields[kind]?.includes(requestKey(f)) ?? false;
}

/** One form's values, as typed. Lists are text: one item a line (or comma-separated). */
export interface TransferForm {
  image: string;
  path: string;
  /** "file" or "tape": what the path field names. */
  medium: 'file' | 'tape';
  selectors: string;
  existing: string;
  /** Serialize only what this site lacks (its latest receipt); "" sends everything. */
  sinceReceipt: string;
  /** "rules": the Mapping page's rules; "spec": the TYPE=ARG typed here. */
  mapperFrom: 'rules' | 'spec';
  mapperSpec: string;
  /** The operator chose to use the Mapping page's rules although they are the untouched sample. */
  sampleOK: boolean;
  annotations: string;
  platforms: string;
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
  hwm: string;
  checkpoint: string;
  volumeSize: string;
}

export function blankForm(prefs?: Pick<Preferences, 'blockSize' | 'bufferSize'> | null): TransferForm {
  return {
    image: '',
    path: '',
    medium: 'file',
    selectors: '',
    existing: '',
    sinceReceipt: '',
    mapperFrom: 'rules',
    mapperSpec: '',
    sampleOK: false,
    annotations: '',
    platforms: '',
    indexFallback: false,
    referrers: false,
    check: false,
    continue: false,
    strict: false,
    dryRun: false,
    force: false,
    compression: '',
    blockSize: prefs?.blockSize ?? '',
    bufferSize: prefs?.bufferSize ?? '',
    hwm: '',
    checkpoint: '',
    volumeSize: '',
  };
}

/** Items of a list field: one per line, commas also separate (except selectors, where a comma means "and"). */
export function listOf(text: string, commas = true): string[] {
  return text
    .split(commas ? /[\n,]/ : /\n/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** key=value pairs, one a line or comma-separated; a line without "=" is reported. */
export function parseAnnotations(text: string): { map: Record<string, string>; bad: string[] } {
  const map: Record<string, string> = {};
  const bad: string[] = [];
  for (const item of listOf(text)) {
    const i = item.indexOf('=');
    if (i <= 0) bad.push(item);
    else map[item.slice(0, i).trim()] = item.slice(i + 1).trim();
  }
  return { map, bad };
}

export interface RequestContext {
  sourcesText: string;
  mapperKind: string;
  mapperRules: string;
}

/** The request StartTransfer and PlanTransfer take; fields the operation does not use are left empty. */
export function buildRequest(kind: TransferKind, f: TransferForm, ctx: RequestContext, fields: KindFields): TransferRequest {
  const has = (x: Field) => hasField(kind, x, fields);
  const useRules = has('mapper') && f.mapperFrom === 'rules';
  return {
    kind,
    sourcesText: has('sources') ? ctx.sourcesText : '',
    selectors: has('selectors') ? listOf(f.selectors, false) : [],
    image: has('image') ? f.image.trim() : '',
    path: has('path') ? f.path.trim() : '',
    existing: has('existing') ? listOf(f.existing) : [],
    sinceReceipt: has('sinceReceipt') ? f.sinceReceipt : '',
    mapper: has('mapper') && !useRules ? f.mapperSpec.trim() : '',
    mapperKind: useRules ? ctx.mapperKind : '',
    mapperRules: useRules ? ctx.mapperRules : '',
    annotations: has('annotations') ? parseAnnotations(f.annotations).map : {},
    platforms: has('platforms') ? listOf(f.platforms) : [],
    indexFallback: has('indexFallback') && f.indexFallback,
    referrers: has('referrers') && f.referrers,
    check: has('check') && f.check,
    continue: has('continue') && f.continue,
    strict: has('strict') && f.strict,
    dryRun: has('dryRun') && f.dryRun,
    force: has('force') && f.force,
    compression: has('compression') ? f.compression : '',
    blockSize: has('blockSize') ? f.blockSize.trim() : '',
    bufferSize: has('bufferSize') ? f.bufferSize.trim() : '',
    hwm: has('hwm') && /^\d+$/.test(f.hwm.trim()) ? Number(f.hwm.trim()) : 0,
    checkpoint: has('checkpoint') ? f.checkpoint.trim() : '',
    volumeSize: has('volumeSize') ? f.volumeSize.trim() : '',
  };
}

/** What is missing before Start makes sense, in the operator's words; empty when ready. */
export function missingInputs(req: TransferRequest, fields: KindFields, sourcesCount: number, sourceErrors: number, unchosenSample = false): string[] {
  const out: string[] = [];
  const has = (x: Field) => hasField(req.kind, x, fields);
  if (has('sources')) {
    if (sourcesCount === 0) out.push('The sources list is empty: write one on the Sources page.');
    else if (sourceErrors > 0) out.push(`The sources list has ${sourceErrors} ${sourceErrors === 1 ? 'error' : 'errors'}: fix them on the Sources page.`);
  }
  const op = operation(req.kind);
  if (has('image') && !req.image) out.push(`Fill in "${op.imageLabel}".`);
  if (has('path') && !req.path) out.push(op.pathMode === 'write' ? 'Choose where to write: a file or a tape drive.' : 'Choose what to read: a file or a tape drive.');
  if (has('mapper') && !req.mapper && !req.mapperRules.trim()) out.push('Give mapping rules: on the Mapping page, or as TYPE=ARG here.');
  else if (has('mapper') && !req.mapper && unchosenSample)
    out.push('The rules on the Mapping page are the untouched sample: edit or open rules there, or choose "Use the sample" here.');
  return out;
}

/** What a finished step hands to the next one: the operation and what its form gets. */
export interface HandOff {
  next: TransferKind;
  fill: Partial<TransferForm>;
  /** In the operator's words, what was filled in. */
  text: string;
}

/**
 * The step after a finished one and the form values it takes from it: a
 * gather's image is what serialize writes, a serialize's medium what
 * deserialize reads, a deserialized image what scatter pushes out. A dry
 * run wrote nothing, so it hands nothing on.
 */
export function handOff(kind: TransferKind, f: TransferForm): HandOff | null {
  if (f.dryRun) return null;
  const medium = f.medium === 'tape' ? 'tape' : 'file';
  switch (kind) {
    case 'gather':
      return f.image ? { next: 'serialize', fill: { image: f.image.trim() }, text: `Gathered image: ${f.image.trim()}` } : null;
    case 'serialize':
      return f.path ? { next: 'deserialize', fill: { path: f.path.trim(), medium }, text: `Read from: ${medium} ${f.path.trim()}` } : null;
    case 'archive':
      return f.path ? { next: 'unarchive', fill: { path: f.path.trim(), medium }, text: `Read from: ${medium} ${f.path.trim()}` } : null;
    case 'deserialize':
      return f.image ? { next: 'scatter', fill: { image: f.image.trim() }, text: `Deserialized image: ${f.image.trim()}` } : null;
  }
  return null;
}

/** Puts kept form values back over blank ones: only known fields, of the same type. */
export function restoreForm(kept: unknown, base: TransferForm = blankForm()): TransferForm {
  const out = { ...base };
  if (!kept || typeof kept !== 'object') return out;
  for (const [k, v] of Object.entries(kept as Record<string, unknown>)) {
    if (k in out && typeof v === typeof out[k as keyof TransferForm]) (out as Record<string, unknown>)[k] = v;
  }
  if (out.medium !== 'file' && out.medium !== 'tape') out.medium = 'file';
  if (out.mapperFrom !== 'rules' && out.mapperFrom !== 'spec') out.mapperFrom = 'rules';
  return out;
}
