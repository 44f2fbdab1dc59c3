import { describe, expect, it } from '@jest/globals';
import { barSizeOf, durationOf, endDateTimeOf, missingRanges, planChunks } from './chunks';

const day = 86_400_000;
const jan = (d: number, h = 0) => Date.UTC(2024, 0, d, h);

describe('barSizeOf', () => {
  it('maps CLI codes to TWS settings, intervals and per-request caps', () => {
    expect(barSizeOf('1m')).toEqual({ code: '1m', setting: '1 min', intervalMs: 60_000, maxSpanMs: day });
    expect(barSizeOf('5s')).toMatchObject({ setting: '5 secs', maxSpanMs: 3_600_000 });
    expect(barSizeOf('1h')).toMatchObject({ setting: '1 hour', maxSpanMs: 30 * day });
    expect(barSizeOf('1d')).toMatchObject({ setting: '1 day', maxSpanMs: 365 * day });
  });

  it('names the valid codes when given another', () => {
    expect(() => barSizeOf('7m')).toThrow('--bar: unknown bar size "7m"; use one of 1s, 5s, 10s, 15s, 30s, 1m, 2m, 3m, 5m,');
  });
});

describe('planChunks', () => {
  it('cuts two months of 1-minute bars into one-day requests, oldest first', () => {
    const chunks = planChunks([{ start: jan(1), end: Date.UTC(2024, 2, 1) }], barSizeOf('1m'));
    expect(chunks).toHaveLength(60);
    expect(chunks[0]).toEqual({ start: jan(1), end: jan(2) });
    expect(chunks[59]).toEqual({ start: Date.UTC(2024, 1, 29), end: Date.UTC(2024, 2, 1) });
  });

  it('ends on the range end and honours a smaller cap, but never below one bar', () => {
    expect(planChunks([{ start: jan(1), end: jan(1, 5) }], barSizeOf('1h'), 2 * 3_600_000)).toEqual([
      { start: jan(1), end: jan(1, 2) },
      { start: jan(1, 2), end: jan(1, 4) },
      { start: jan(1, 4), end: jan(1, 5) },
    ]);
    expect(planChunks([{ start: jan(1), end: jan(1, 2) }], barSizeOf('1h'), 1)).toHaveLength(2);
  });
});

describe('missingRanges', () => {
  it('is the whole range when nothing is stored, or what lies outside the stored span', () => {
    expect(missingRanges(jan(1), jan(10))).toEqual([{ start: jan(1), end: jan(10) }]);
    expect(missingRanges(jan(1), jan(10), { first: jan(1), end: jan(4) })).toEqual([{ start: jan(4), end: jan(10) }]);
    expect(missingRanges(jan(1), jan(10), { first: jan(3), end: jan(4) })).toEqual([
      { start: jan(1), end: jan(3) },
      { start: jan(4), end: jan(10) },
    ]);
    expect(missingRanges(jan(1), jan(10), { first: jan(1), end: jan(10) })).toEqual([]);
    expect(missingRanges(jan(5), jan(10), { first: jan(1), end: jan(3) })).toEqual([{ start: jan(5), end: jan(10) }]);
  });
});

describe('durationOf and endDateTimeOf', () => {
  it('writes exact seconds up to a day, whole days beyond; end times in UTC', () => {
    expect(durationOf(3_600_000)).toBe('3600 S');
    expect(durationOf(day)).toBe('86400 S');
    expect(durationOf(7 * day)).toBe('7 D');
    expect(durationOf(day + 1000)).toBe('2 D');
    expect(endDateTimeOf(Date.UTC(2024, 2, 1, 7, 5, 9))).toBe('20240301-07:05:09');
  });
});
