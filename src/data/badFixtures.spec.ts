import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { lastValueFrom, toArray } from 'rxjs';
import { ConfigError, DataError } from '../core/errors';
import type { Bar } from '../core/types';
import { replayFile, type ReplayOptions, type ValidationReport } from './replay';

/** Every file under fixtures/bad/ and the exact error it earns (scripts/makeFixtures.ts writes them). */

const BAD = join(__dirname, '..', '..', 'fixtures', 'bad');
const file = (name: string): string => join(BAD, name);

function read(name: string, options: ReplayOptions = {}): Promise<Bar[]> {
  return lastValueFrom(replayFile(file(name), { symbol: 'USDJPY', ...options }).pipe(toArray()));
}

async function errorOf(name: string, options: ReplayOptions = {}): Promise<DataError> {
  const error = await read(name, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DataError);
  return error as DataError;
}

describe('bad fixtures: each gets its exact error (file, row, field, rule)', () => {
  const cases: readonly (readonly [string, string])[] = [
    [
      'non_increasing.csv',
      'row 3, field "timestamp": timestamps must be strictly increasing (2024-01-02T00:01:00.000Z is not after 2024-01-02T00:01:00.000Z)',
    ],
    ['high_below_low.csv', 'row 2, field "high": low ≤ open, close ≤ high (high 140.98 < low 141)'],
    ['negative_price.csv', 'row 2, field "open": price must be a finite number > 0 (got -141.01)'],
    ['nan_price.csv', 'row 3, field "close": price must be a finite number > 0 (got "NaN")'],
    ['missing_value.csv', 'row 2, field "high": price must be a finite number > 0 (missing)'],
    ['negative_volume.csv', 'row 2, field "volume": volume must be a finite number ≥ 0 (got -5)'],
    [
      'missing_column.csv',
      'field "close": missing column (no column named close/c/closeprice/closebid; columns found: "timestamp", "open", "high", "low", "volume"; name it with --columns close=<column>)',
    ],
    [
      'naive_timestamp.csv',
      'row 1, field "timestamp": timestamp has no time zone ("2024-01-02 09:00:00"; pass --timezone (e.g. UTC or Asia/Tokyo) to read wall times)',
    ],
    ['unparseable_timestamp.csv', 'row 2, field "timestamp": timestamp must be a valid time (got "2024-13-02 25:00")'],
    ['malformed_row.csv', 'row 2: a row must have as many fields as the header (4 fields, the header has 6)'],
    ['mixed_bad.csv', 'row 2, field "high": low ≤ open, close ≤ high (high 140.98 < low 141)'],
    [
      'non_increasing.parquet',
      'row 3, field "timestamp": timestamps must be strictly increasing (2024-01-02T00:01:00.000Z is not after 2024-01-02T00:02:00.000Z)',
    ],
    ['high_below_low.parquet', 'row 2, field "high": low ≤ open, close ≤ high (high 140.98 < low 141)'],
    ['null_close.parquet', 'row 2, field "close": price must be a finite number > 0 (got NaN or missing)'],
    [
      'missing_column.parquet',
      'field "close": missing column (no column named close/c/closeprice/closebid; columns found: "timestamp", "open", "high", "low", "volume")',
    ],
    [
      'naive_strings.parquet',
      'row 1, field "datetime": timestamp has no time zone ("2024-01-02 00:00:00"; pass --timezone (e.g. UTC or Asia/Tokyo) to read wall times)',
    ],
  ];

  it.each(cases)('%s', async (name, message) => {
    const error = await errorOf(name);
    expect(error.message).toBe(`${file(name)}, ${message}`);
    expect(error.location.file).toBe(file(name));
  });

  it('the error carries the rule and the location as fields', async () => {
    const error = await errorOf('high_below_low.csv');
    expect(error.rule).toBe('low ≤ open, close ≤ high');
    expect(error.location).toEqual({ file: file('high_below_low.csv'), row: 2, field: 'high' });
  });

  it('the bars before a bad row are emitted, then the error', async () => {
    const seen: Bar[] = [];
    const error = await new Promise<unknown>((resolve) =>
      replayFile(file('nan_price.csv'), { symbol: 'USDJPY' }).subscribe({ next: (b) => seen.push(b), error: resolve, complete: () => resolve(undefined) }),
    );
    expect(error).toBeInstanceOf(DataError);
    expect(seen.map((b) => b.close)).toEqual([141.01, 141.02]);
  });

  it('naive timestamps read once a zone is configured', async () => {
    const bars = await read('naive_timestamp.csv', { timezone: 'Asia/Tokyo' });
    expect(bars.map((b) => new Date(b.ts).toISOString())).toEqual(['2024-01-02T00:00:00.000Z', '2024-01-02T00:01:00.000Z']);
    const fromParquet = await read('naive_strings.parquet', { timezone: 'UTC' });
    expect(fromParquet.map((b) => new Date(b.ts).toISOString())).toEqual([
      '2024-01-02T00:00:00.000Z',
      '2024-01-02T00:01:00.000Z',
      '2024-01-02T00:02:00.000Z',
    ]);
  });

  it('the vendor file (date,Open,High,Low,Close,Volume, CRLF, +00:00) is valid', async () => {
    await expect(read('vendor_valid.csv')).resolves.toEqual([
      { kind: 'bar', symbol: 'USDJPY', ts: Date.UTC(2024, 0, 2, 0, 0), intervalMs: 60_000, open: 141, high: 141.02, low: 140.99, close: 141.01, volume: 120 },
      { kind: 'bar', symbol: 'USDJPY', ts: Date.UTC(2024, 0, 2, 0, 1), intervalMs: 60_000, open: 141.01, high: 141.03, low: 141, close: 141.02, volume: 98 },
      { kind: 'bar', symbol: 'USDJPY', ts: Date.UTC(2024, 0, 2, 0, 2), intervalMs: 60_000, open: 141.02, high: 141.04, low: 141.01, close: 141.03, volume: 77 },
    ]);
  });

  it("'skip' drops the bad rows of mixed_bad.csv and reports how many of each kind, in row order", async () => {
    let report: ValidationReport | undefined;
    const bars = await read('mixed_bad.csv', { policy: 'skip', onReport: (r) => (report = r) });
    expect(bars.map((b) => new Date(b.ts).toISOString().slice(11, 16))).toEqual(['00:00', '00:02', '00:06']);
    expect(report).toEqual({
      file: file('mixed_bad.csv'),
      symbol: 'USDJPY',
      records: 'bars',
      policy: 'skip',
      rowsRead: 8,
      rowsEmitted: 3,
      rowsSkipped: 5,
      skipped: {
        'malformed-row': 1,
        'invalid-timestamp': 1,
        'invalid-price': 0,
        'price-range': 1,
        'invalid-volume': 1,
        'timestamp-order': 1,
        'tick-order': 0,
      },
      examples: [
        { row: 2, rule: 'price-range', field: 'high', detail: 'high 140.98 < low 141' },
        { row: 4, rule: 'timestamp-order', field: 'timestamp', detail: '2024-01-02T00:02:00.000Z is not after 2024-01-02T00:02:00.000Z' },
        { row: 5, rule: 'invalid-volume', field: 'volume', detail: 'got -1' },
        { row: 6, rule: 'invalid-timestamp', field: 'timestamp', detail: 'got "yesterday"' },
        { row: 7, rule: 'malformed-row', detail: '2 fields, the header has 6' },
      ],
      firstTs: Date.UTC(2024, 0, 2, 0, 0),
      lastTs: Date.UTC(2024, 0, 2, 0, 6),
      intervalMs: 60_000,
      intervalSource: 'inferred',
    });
  });

  it("'skip' does not skip whole-file problems", async () => {
    await expect(read('missing_column.parquet', { policy: 'skip' })).rejects.toThrow('missing column');
    await expect(read('naive_timestamp.csv', { policy: 'skip' })).rejects.toThrow('timestamp has no time zone');
  });

  it('bad options are a ConfigError, before anything is read', () => {
    expect(() => replayFile(file('vendor_valid.csv'), { timezone: 'Mars/Olympus' })).toThrow(ConfigError);
    expect(() => replayFile(file('vendor_valid.csv'), { timezone: 'Mars/Olympus' })).toThrow(
      'timezone option: unknown time zone "Mars/Olympus": expected an IANA name such as "Asia/Tokyo", a fixed offset such as "UTC-5", or a zone plus hours such as "America/New_York+7"',
    );
    expect(() => replayFile(file('vendor_valid.csv'), { intervalMs: -1 })).toThrow('replay options: intervalMs: Too small: expected number to be >0');
    expect(() => replayFile(file('vendor_valid.csv'), { from: 10, to: 5 })).toThrow('replay options: from: from must be before to');
  });

});
