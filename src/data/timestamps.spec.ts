import { describe, expect, it } from '@jest/globals';
import { ConfigError, DataError } from '../core/errors';
import { createTimestampParser, epochToMs, epochUnitOf, wallToUtc } from './timestamps';

const T = Date.UTC(2024, 0, 2, 9, 30);

describe('epoch numbers', () => {
  it('tells the unit by magnitude and rounds to whole ms', () => {
    expect([1.7e9, 1.7e12, 1.7e15, 1.7e18].map(epochUnitOf)).toEqual(['s', 'ms', 'us', 'ns']);
    expect(epochToMs(1704187800, 's')).toBe(T);
    expect(epochToMs(1704187800.1234, 's')).toBe(T + 123);
    expect(epochToMs(T * 1e3 + 499, 'us')).toBe(T);
    expect(epochToMs(T * 1e6, 'ns')).toBe(T);
  });

  it('a parser keeps the unit of the first number for the whole column', () => {
    const parse = createTimestampParser({ file: 'f.csv', column: 'ts' });
    expect(parse('1704187800', 1)).toBe(T);
    expect(parse('1704187860', 2)).toBe(T + 60_000);
  });
});

describe('ISO-like text', () => {
  const parse = createTimestampParser({ file: 'f.csv', column: 'time' });
  it.each([
    ['2024-01-02T09:30:00Z', T],
    ['2024-01-02T09:30Z', T],
    ['2024-01-02 09:30:00.250Z', T + 250],
    ['2024-01-02T18:30:00+09:00', T],
    ['2024-01-02T18:30:00+0900', T],
    ['2024-01-02 04:30:00-05', T],
    ['2024/01/02 09:30 UTC', T],
    ['2024.01.02 09:30:00 GMT', T],
    ['  2024-01-02T09:30:00z ', T],
    ['2024-01-02Z', Date.UTC(2024, 0, 2)],
  ])('%s', (text, expected) => {
    expect(parse(text, 1)).toBe(expected);
  });

  it.each(['', 'yesterday', '2024-02-30T00:00Z', '2024-13-01T00:00Z', '2024-01-02T24:00Z', '2024-01-02T09:60Z', '02/01/2024 09:30Z'])(
    '%j is not a time (NaN)',
    (text) => {
      expect(parse(text, 1)).toBeNaN();
    },
  );

  it('text without a zone needs a configured zone', () => {
    expect(() => parse('2024-01-02 09:30', 7)).toThrow(
      new DataError('timestamp has no time zone', { file: 'f.csv', row: 7, field: 'time' }, '"2024-01-02 09:30"; pass --timezone (e.g. UTC or Asia/Tokyo) to read wall times'),
    );
    const tokyo = createTimestampParser({ file: 'f.csv', column: 'time', timezone: 'Asia/Tokyo' });
    expect(tokyo('2024-01-02 18:30', 1)).toBe(T);
    expect(tokyo('2024-01-02T09:30:00Z', 2)).toBe(T); // an explicit zone wins
  });
});

describe('wallToUtc', () => {
  it('uses the zone offset of the day, DST included', () => {
    const newYork = wallToUtc('America/New_York');
    expect(newYork(Date.UTC(2024, 0, 2, 12))).toBe(Date.UTC(2024, 0, 2, 17));
    expect(newYork(Date.UTC(2024, 6, 2, 12))).toBe(Date.UTC(2024, 6, 2, 16));
    // 02:30 on 2024-03-10 does not exist in New York: it resolves forward, to 03:30 EDT.
    expect(newYork(Date.UTC(2024, 2, 10, 2, 30))).toBe(Date.UTC(2024, 2, 10, 7, 30));
    // 01:30 on 2024-11-03 happens twice: the earlier one, still EDT.
    expect(newYork(Date.UTC(2024, 10, 3, 1, 30))).toBe(Date.UTC(2024, 10, 3, 5, 30));
    expect(newYork(Date.UTC(2024, 10, 3, 3, 0))).toBe(Date.UTC(2024, 10, 3, 8, 0));
    const berlin = wallToUtc('Europe/Berlin');
    expect(berlin(Date.UTC(2024, 2, 31, 2, 30))).toBe(Date.UTC(2024, 2, 31, 1, 30));
    expect(berlin(Date.UTC(2024, 9, 27, 2, 30))).toBe(Date.UTC(2024, 9, 27, 0, 30));
  });

  it('an unknown zone is a ConfigError naming the option', () => {
    expect(() => wallToUtc('Asia/Osaka')).toThrow(ConfigError);
    expect(() => wallToUtc('Asia/Osaka')).toThrow('timezone option: unknown time zone "Asia/Osaka"');
  });
});
