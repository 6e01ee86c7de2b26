import { describe, expect, it } from 'vitest';
import { durationBetween, formatBytes, plainMessage, formatDateTime, formatDuration, formatPercent, formatRate, parseSize, plural, runCount } from './format';

describe('format', () => {
  it('formats bytes in binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(40 * 1024 ** 2)).toBe('40 MiB');
    expect(formatBytes(40.5 * 1024 ** 2)).toBe('40.5 MiB');
    // Sizes the forms take as 1MiB and 256MiB read the same in History.
    expect(formatBytes(1048576)).toBe('1 MiB');
    expect(formatBytes(268435456)).toBe('256 MiB');
    expect(formatBytes(300 * 1024 ** 3)).toBe('300 GiB');
    expect(formatBytes(-1)).toBe('—');
  });

  it('formats rates, and nothing when stalled', () => {
    expect(formatRate(2 * 1024 ** 2, 'bytes')).toBe('2 MiB/s');
    expect(formatRate(2.5 * 1024 ** 2, 'bytes')).toBe('2.50 MiB/s');
    expect(formatRate(3.25, 'items')).toBe('3.3 items/s');
    expect(formatRate(0, 'bytes')).toBe('');
  });

  it('formats percent and durations', () => {
    expect(formatPercent(99.9)).toBe('99%');
    expect(formatPercent(null)).toBe('');
    expect(formatDuration(42_000)).toBe('42s');
    expect(formatDuration(185_000)).toBe('3m 05s');
    expect(formatDuration(3_720_000)).toBe('1h 02m');
    expect(durationBetween('2025-01-01T00:00:00Z', '2025-01-01T00:01:30Z')).toBe('1m 30s');
    expect(durationBetween('2025-01-01T00:00:00Z', undefined, Date.parse('2025-01-01T00:00:10Z'))).toBe('10s');
    expect(durationBetween(undefined, undefined)).toBe('—');
    // Go's zero time means "not finished", never year 1.
    expect(durationBetween('2025-01-01T00:00:00Z', '0001-01-01T00:00:00Z', Date.parse('2025-01-01T00:00:05Z'))).toBe('5s');
    expect(formatDateTime('0001-01-01T00:00:00Z')).toBe('—');
  });

  it('parses the sizes operators type', () => {
    expect(parseSize('512')).toBe(512);
    expect(parseSize('256k')).toBe(256 * 1024);
    expect(parseSize('256KiB')).toBe(256 * 1024);
    expect(parseSize('1 MiB')).toBe(1024 ** 2);
    expect(parseSize('1.5G')).toBe(1.5 * 1024 ** 3);
    expect(parseSize('1GB')).toBe(1024 ** 3);
    for (const bad of ['', 'big', '12 parsecs', '-1M', '1MiBs']) expect(parseSize(bad)).toBeNull();
  });
});

describe('plural', () => {
  it('says one thing in the singular and every other count in the plural', () => {
    expect(plural(1, 'destination')).toBe('1 destination');
    expect(plural(0, 'destination')).toBe('0 destinations');
    expect(plural(5, 'image')).toBe('5 images');
    expect(plural(2, 'entry', 'entries')).toBe('2 entries');
  });
});

describe('runCount', () => {
  it('labels blob counts as blobs and leaves image counts plain', () => {
    expect(runCount({ kind: 'scatter', itemsDone: 3, itemsTotal: 3 })).toBe('3 / 3');
    expect(runCount({ kind: 'serialize', itemsDone: 12, itemsTotal: 12 })).toBe('12 / 12 blobs');
    expect(runCount({ kind: 'deserialize', itemsDone: 1, itemsTotal: 0 })).toBe('1 blob');
  });

  it('says a cancellation in the operator\'s words, once', () => {
    expect(plainMessage('copy a.io/x:1: context canceled')).toBe('copy a.io/x:1: cancelled');
    expect(plainMessage('cancelled: cancelled')).toBe('cancelled');
    expect(plainMessage('cancelled: context canceled')).toBe('cancelled');
    expect(plainMessage('push refused')).toBe('push refused');
  });
});
