// The Transfer page's forms: which options each operation takes (the same
// as its CLI verb), the form state, and the request sent to StartTransfer.

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
  /** Positional arguments of the CLI verb, for the command preview. */
  usage: string;
  /** What the image field means for this operation, when it has one. */
  imageLabel?: string;
  /** Whether the path is read (a medium to read) or written. */
  pathMode?: 'read' | 'write';
  fields: Field[];
}

const mediaWrite: Field[] = ['compression', 'blockSize', 'bufferSize', 'hwm', 'checkpoint', 'volumeSize'];
const mediaRead: Field[] = ['blockSize', 'bufferSize', 'checkpoint'];

export const operations: readonly Operation[] = [
  {
    kind: 'gather',
    title: 'Gather',
    side: 'Low side',
    text: 'Copy every image of the sources list into one repository:tag on a low-side registry.',
    usage: 'SOURCES-FILE IMAGE',
    imageLabel: 'Gather into (repository:tag)',
    fields: ['sources', 'selectors', 'image', 'annotations', 'platforms', 'indexFallback', 'referrers', 'dryRun'],
  },
  {
    kind: 'serialize',
    title: 'Serialize',
    side: 'Low side',
    text: 'Write a gathered image to a tar file or a tape drive.',
    usage: 'IMAGE FILE [EXISTING-IMAGE...]',
    imageLabel: 'Gathered image (repository:tag)',
    pathMode: 'write',
    fields: ['image', 'path', 'existing', 'sinceReceipt', ...mediaWrite, 'force', 'dryRun'],
  },
  {
    kind: 'archive',
    title: 'Archive',
    side: 'Low side',
    text: 'Gather into the local store and serialize in one go; no registry needed.',
    usage: 'SOURCES-FILE FILE [EXISTING-IMAGE...]',
    pathMode: 'write',
    fields: ['sources', 'selectors', 'path', 'existing', 'platforms', 'referrers', ...mediaWrite, 'force', 'dryRun'],
  },
  {
    kind: 'deserialize',
    title: 'Deserialize',
    side: 'High side',
    text: 'Read a tar file or tape into a repository:tag on a high-side registry.',
    usage: 'FILE IMAGE',
    imageLabel: 'Deserialize into (repository:tag)',
    pathMode: 'read',
    fields: ['path', 'image', ...mediaRead, 'strict', 'dryRun'],
  },
  {
    kind: 'scatter',
    title: 'Scatter',
    side: 'High side',
    text: 'Push every image of a deserialized gather to the destinations its mapping gives.',
    usage: 'IMAGE MAPPER',
    imageLabel: 'Deserialized image (repository:tag)',
    fields: ['image', 'mapper', 'selectors', 'referrers', 'check', 'continue', 'dryRun'],
  },
  {
    kind: 'unarchive',
    title: 'Unarchive',
    side: 'High side',
    text: 'Deserialize into the local store and scatter in one go.',
    usage: 'FILE MAPPER',
    pathMode: 'read',
    fields: ['path', 'mapper', 'selectors', ...mediaRead, 'strict', 'check', 'continue', 'dryRun'],
  },
  {
    kind: 'clone',
    title: 'Clone',
    side: 'Connected',
    text: 'Copy every source straight to its mapped destinations, for connected networks.',
    usage: 'SOURCES-FILE MAPPER',
    fields: ['sources', 'selectors', 'mapper', 'platforms', 'referrers', 'check', 'continue', 'dryRun'],
  },
  {
    kind: 'verify',
    title: 'Verify',
    side: 'Either side',
    text: 'Read a tar file or tape end to end and check every blob against its digest.',
    usage: 'FILE',
    pathMode: 'read',
    fields: ['path', 'blockSize', 'bufferSize', 'strict'],
  },
];

export function operation(kind: TransferKind): Operation {
  return operations.find((o) => o.kind === kind)!;
}

export function hasField(kind: TransferKind, f: Field): boolean {
  return operation(kind).fields.includes(f);
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
export function buildRequest(kind: TransferKind, f: TransferForm, ctx: RequestContext): TransferRequest {
  const has = (x: Field) => hasField(kind, x);
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
export function missingInputs(req: TransferRequest, sourcesCount: number, sourceErrors: number, unchosenSample = false): string[] {
  const out: string[] = [];
  const has = (x: Field) => hasField(req.kind, x);
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

/** The equivalent command line, for the operator to read (and copy into a script). */
export function commandLine(req: TransferRequest): string {
  const q = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  const parts = ['ferry', 'mirror', req.kind];
  const mapper = req.mapper || (req.mapperKind ? `${req.mapperKind}=RULES` : 'MAPPER');
  const pos: Record<TransferKind, string[]> = {
    gather: ['SOURCES-FILE', req.image || 'IMAGE'],
    serialize: [req.image || 'IMAGE', req.path || 'FILE', ...req.existing],
    archive: ['SOURCES-FILE', req.path || 'FILE', ...req.existing],
    deserialize: [req.path || 'FILE', req.image || 'IMAGE'],
    scatter: [req.image || 'IMAGE', mapper],
    unarchive: [req.path || 'FILE', mapper],
    clone: ['SOURCES-FILE', mapper],
    verify: [req.path || 'FILE'],
  };
  parts.push(...pos[req.kind].map((p) => (/^[A-Z-]+(=RULES)?$/.test(p) || p.endsWith('=RULES') ? p : q(p))));
  for (const s of req.selectors) parts.push('-l', q(s));
  for (const [k, v] of Object.entries(req.annotations)) parts.push('-a', q(`${k}=${v}`));
  if (req.platforms.length) parts.push('-p', q(req.platforms.join(',')));
  const flags: [boolean, string][] = [
    [req.indexFallback, '--index-fallback'],
    [req.referrers, '-r'],
    [req.check, '--check'],
    [req.continue, '--continue'],
    [req.strict, '--strict'],
    [req.dryRun, '--dry-run'],
    [req.force, '--force'],
  ];
  for (const [on, flag] of flags) if (on) parts.push(flag);
  const valued: [string, string | number][] = [
    ['--compression', req.compression],
    ['--block-size', req.blockSize],
    ['--buffer-size', req.bufferSize],
    ['--hwm', req.hwm || ''],
    ['--checkpoint', req.checkpoint],
    ['--volume-size', req.volumeSize],
    ['--since-receipt', req.sinceReceipt ?? ''],
  ];
  for (const [flag, v] of valued) if (v !== '') parts.push(flag, q(String(v)));
  return parts.join(' ');
}
