import type { LogLine } from './types';

const key = (l: LogLine) => `${l.time}\u0000${l.level}\u0000${l.message}`;

/**
 * Appends live lines to a fetched log, skipping those the fetch already had:
 * we subscribe before fetching so nothing is lost, and so may see a line twice.
 */
export function mergeLog(fetched: readonly LogLine[], live: readonly LogLine[]): LogLine[] {
  const seen = new Set(fetched.map(key));
  const out = [...fetched];
  for (const l of live) {
    const k = key(l);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(l);
  }
  return out;
}
