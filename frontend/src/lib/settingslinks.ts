// Error messages name the registry setting to change ("list http://HOST
// under endpoints of registryConfig.registries[HOST]"); these turn such a
// mention into a link to that registry's form on the Settings page.

import { href } from './stores/router';

export interface TextPart {
  text: string;
  /** The registry whose settings the text names; absent for plain text. */
  registry?: string;
}

// registryConfig.registries[HOST], endpointConfig's https://HOST entry,
// and Ferry's own ferry.registries[HOST].caFile.
const mention =
  /registryConfig\.registries\[([^\]\s]+)\]|(?:for )?endpoint https:\/\/([^\s,;)]+) under registryConfig\.endpointConfig|ferry\.registries\[([^\]\s]+)\](?:\.caFile)?/g;

/** Splits text into plain parts and parts that name a registry's settings. */
export function settingsLinks(text: string): TextPart[] {
  const out: TextPart[] = [];
  let last = 0;
  for (const m of text.matchAll(mention)) {
    const start = m.index ?? 0;
    if (start > last) out.push({ text: text.slice(last, start) });
    out.push({ text: m[0], registry: m[1] ?? m[2] ?? m[3] });
    last = start + m[0].length;
  }
  if (last < text.length || out.length === 0) out.push({ text: text.slice(last) });
  return out;
}

/** The Settings route that opens one registry's form. */
export function registryHref(host: string): string {
  return href('settings', `registry/${host}`);
}

/** The registry a Settings route param opens, if any. */
export function registryOfParam(param?: string): string | undefined {
  return param?.startsWith('registry/') ? param.slice('registry/'.length) : undefined;
}
