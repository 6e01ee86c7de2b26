// What a go-template mapping can use (backend/mapping/template.go and
// funcs.go): the fields of the dot, an OCI image-spec descriptor of the
// gather index entry, and the functions, Ferry's reference helpers first and
// then sprig's text functions. The help panel lists them with their values
// for one source; the editor completes them inside {{ }}.

import type { SourceEntry } from '../types';

export const annotationSource = 'vnd.act3-ace.manifest.source';
export const annotationLabels = 'data.act3-ace.io/labels';
export const annotationRefName = 'org.opencontainers.image.ref.name';

export interface TemplateField {
  /** As written in a template. */
  expr: string;
  text: string;
}

export const templateFields: TemplateField[] = [
  { expr: `index .Annotations "${annotationSource}"`, text: 'The source reference, as on its line of the sources list.' },
  {
    expr: `index .Annotations "${annotationLabels}"`,
    text: `The labels of its line of the sources list, as JSON ("" when it has none). One label: {{ index (index .Annotations "${annotationLabels}" | fromJson) "team" }}.`,
  },
  { expr: `index .Annotations "${annotationRefName}"`, text: 'The tag (or digest) the source names.' },
  { expr: '.Digest', text: 'The manifest digest, sha256:… (.Digest.Encoded is the hex, .Digest.Algorithm "sha256").' },
  { expr: '.MediaType', text: 'The manifest or index media type.' },
  { expr: '.Size', text: 'The size of the manifest in bytes.' },
  { expr: '.Platform', text: 'For a platform entry: .Platform.OS, .Platform.Architecture, .Platform.Variant.' },
  { expr: '.ArtifactType', text: 'The artifact type, for artifacts that set one.' },
  { expr: '.Annotations', text: 'Every annotation of the entry, a map: index it by key.' },
];

/** Field names completed after a dot. */
const dotFields = ['Annotations', 'Digest', 'MediaType', 'Size', 'Platform', 'ArtifactType', 'URLs', 'Data'];
const subFields: Record<string, string[]> = {
  Digest: ['Encoded', 'Algorithm', 'String'],
  Platform: ['OS', 'Architecture', 'Variant', 'OSVersion', 'OSFeatures'],
};

export interface TemplateFunc {
  name: string;
  args: string;
  text: string;
}

/** Ferry's helpers and the sprig functions a mapping most often needs. */
export const templateFuncs: TemplateFunc[] = [
  { name: 'Repository', args: 'REF', text: 'The repository path of a reference, without registry and tag: lowside/alpine.' },
  { name: 'Tag', args: 'REF', text: 'The tag of a reference ("" when it has only a digest).' },
  { name: 'Registry', args: 'REF', text: 'The registry host (and port) of a reference.' },
  { name: 'Package', args: 'REF', text: 'The last path element of the repository: alpine.' },
  { name: 'printf', args: 'FORMAT ARGS…', text: 'Formats as Go\'s fmt.Sprintf.' },
  { name: 'default', args: 'DEFAULT VALUE', text: 'VALUE, or DEFAULT when VALUE is empty.' },
  { name: 'lower', args: 'S', text: 'S in lower case.' },
  { name: 'upper', args: 'S', text: 'S in upper case.' },
  { name: 'replace', args: 'OLD NEW S', text: 'S with every OLD replaced by NEW.' },
  { name: 'trimPrefix', args: 'PREFIX S', text: 'S without PREFIX.' },
  { name: 'trimSuffix', args: 'SUFFIX S', text: 'S without SUFFIX.' },
  { name: 'hasPrefix', args: 'PREFIX S', text: 'Whether S starts with PREFIX (for if).' },
  { name: 'contains', args: 'SUB S', text: 'Whether S contains SUB (for if).' },
  { name: 'regexReplaceAll', args: 'REGEX S REPL', text: 'S with every match of REGEX replaced ($1 for groups).' },
  { name: 'regexFind', args: 'REGEX S', text: 'The first match of REGEX in S.' },
  { name: 'split', args: 'SEP S', text: 'S split at SEP, a map _0, _1, …' },
  { name: 'splitList', args: 'SEP S', text: 'S split at SEP, a list.' },
  { name: 'join', args: 'SEP LIST', text: 'The items of LIST joined with SEP.' },
  { name: 'last', args: 'LIST', text: 'The last item of LIST.' },
  { name: 'trunc', args: 'N S', text: 'The first N characters of S.' },
  { name: 'sha256sum', args: 'S', text: 'The hex SHA-256 of S.' },
  { name: 'index', args: 'MAP KEY', text: 'The value of KEY in MAP (text/template).' },
  { name: 'fromJson', args: 'S', text: 'The JSON text S as a map: for the labels annotation.' },
  { name: 'eq', args: 'A B', text: 'Whether A equals B (for if).' },
  { name: 'if', args: 'COND', text: '{{ if COND }}…{{ else }}…{{ end }}: a choice.' },
  { name: 'range', args: 'LIST', text: '{{ range LIST }}…{{ end }}: one line per item gives several destinations.' },
];

/** The values of the fields for one line of the sources list, as the preview of that source sees them. */
export function fieldValues(src: SourceEntry | undefined, digest?: string): Record<string, string> {
  if (!src) return {};
  // As sources.EncodeLabels writes them: JSON with sorted keys.
  const entries = Object.entries(src.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const labels = entries.length ? JSON.stringify(Object.fromEntries(entries)) : '';
  const tag = /@/.test(src.ref) ? src.ref.slice(src.ref.indexOf('@') + 1) : /:([^/:]+)$/.exec(src.ref)?.[1] ?? 'latest';
  const out: Record<string, string> = {
    [templateFields[0].expr]: src.ref,
    [templateFields[1].expr]: labels,
    [templateFields[2].expr]: tag,
  };
  if (digest) out['.Digest'] = digest;
  return out;
}

export interface Completion {
  label: string;
  type: 'property' | 'function' | 'keyword';
  detail?: string;
  info?: string;
}

/**
 * What to offer at a position of a template text: null outside an action;
 * after a dot the fields (of .Digest and .Platform, their parts), else the
 * functions. `from` is where the completed word starts.
 */
export function completionsAt(text: string, pos: number): { from: number; options: Completion[] } | null {
  const before = text.slice(0, pos);
  const open = before.lastIndexOf('{{');
  if (open < 0 || before.lastIndexOf('}}') > open) return null;
  const key = /index\s+\.Annotations\s+"([^"]*)$/.exec(before);
  if (key) {
    return {
      from: pos - key[1].length,
      options: [annotationSource, annotationLabels, annotationRefName].map((k) => ({ label: k, type: 'property', detail: 'annotation' })),
    };
  }
  const m = /(?:\.([A-Za-z]+))?\.([A-Za-z]*)$/.exec(before);
  if (m && !/[\w)"]$/.test(before.slice(0, pos - m[0].length))) {
    const parent = m[1];
    const names = parent ? subFields[parent] ?? [] : dotFields;
    return { from: pos - m[2].length, options: names.map((n) => ({ label: n, type: 'property', detail: parent ? `.${parent}.${n}` : `.${n}` })) };
  }
  const w = /[A-Za-z]*$/.exec(before)!;
  if (!w[0] && !/[\s({]$/.test(before)) return null;
  return {
    from: pos - w[0].length,
    options: templateFuncs.map((f) => ({ label: f.name, type: f.name === 'if' || f.name === 'range' ? 'keyword' : 'function', detail: f.args, info: f.text })),
  };
}
