// Number and time formatting shared by every page, so units read the same everywhere.

import { isSet } from './types';

const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/**
 * Sizes in binary units everywhere, as the forms take them: "1 MiB" for
 * 1048576, "1.50 KiB", "40.0 MiB". A whole number of units is shown whole.
 */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—';
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  if (i === 0 || Number.isInteger(n)) return `${n} ${units[i]}`;
  return `${n.toFixed(n < 10 ? 2 : n < 100 ? 1 : 0)} ${units[i]}`;
}

export function formatRate(perSecond: number, unit: 'bytes' | 'items'): string {
  if (!(perSecond > 0)) return '';
  if (unit === 'bytes') return `${formatBytes(perSecond)}/s`;
  return `${perSecond < 10 ? perSecond.toFixed(1) : Math.round(perSecond)} items/s`;
}

export function formatPercent(p: number | null): string {
  return p === null ? '' : `${Math.floor(p)}%`;
}

/** "1h 02m", "3m 05s", "42s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(sec).padStart(2, '0')}s`;
  return `${sec}s`;
}

/** Time between two ISO stamps; `end` missing means still going. */
export function durationBetween(start?: string, end?: string, now = Date.now()): string {
  const a = isSet(start) ? Date.parse(start) : NaN;
  const b = isSet(end) ? Date.parse(end) : now;
  if (Number.isNaN(a) || Number.isNaN(b)) return '—';
  return formatDuration(b - a);
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** Local "YYYY-MM-DD HH:MM:SS": operators compare these with paper logs. */
export function formatDateTime(iso?: string): string {
  if (!isSet(iso)) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Local "HH:MM:SS.mmm" for log lines. */
export function formatClock(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** Accepts sizes such as 512, 256k, 64KiB, 1M, 2 GiB; returns bytes or null. */
export function parseSize(s: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$/i.exec(s);
  if (!m) return null;
  const exp = ' kmgt'.indexOf(m[2].toLowerCase() || ' ');
  const v = Number(m[1]) * 1024 ** exp;
  return Number.isFinite(v) ? Math.round(v) : null;
}

/** Seconds left at the current rate, or null when it cannot be told. */
export function etaSeconds(done: number, total: number, perSecond: number): number | null {
  if (!(total > 0) || !(perSecond > 0) || done >= total) return null;
  return (total - done) / perSecond;
}

/**
 * An error or log text in the operator's words: Go's "context canceled" is
 * the operator's Cancel, and "cancelled: cancelled" says it once.
 */
export function plainMessage(text: string): string {
  return text
    .replace(/\bcontext canceled\b/g, 'cancelled')
    .replace(/\b(cancelled)(?::\s*cancelled)+\b/g, '$1');
}

/** "1 destination", "3 destinations": a count with its noun, plural when it is not one. */
export function plural(n: number, noun: string, many = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : many}`;
}

/** Serialize and deserialize count the blobs they move, not images. */
export function countsBlobs(kind: string): boolean {
  return kind === 'serialize' || kind === 'deserialize';
}

/** A run's progress count with its unit where it is not images: "3 / 3", "12 / 12 blobs". */
export function runCount(run: { kind: string; itemsDone: number; itemsTotal: number }): string {
  const n = `${run.itemsDone}${run.itemsTotal ? ` / ${run.itemsTotal}` : ''}`;
  if (!countsBlobs(run.kind)) return n;
  return `${n} ${(run.itemsTotal || run.itemsDone) === 1 ? 'blob' : 'blobs'}`;
}
