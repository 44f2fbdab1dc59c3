import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { quotedString } from '@duckdb/node-api';
import { firstValueFrom, lastValueFrom, take, toArray, type Observable } from 'rxjs';
import { ConfigError, DataError } from '../core/errors';
import type { Bar } from '../core/types';
import { writeBarsParquet } from './dataStore';
import { withConnection } from './duckdb';
import { replayCsv, replayFile, replayParquet, type ReplayOptions, type ValidationReport } from './replay';

const dir = mkdtempSync(join(tmpdir(), 'replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T0 = Date.UTC(2024, 0, 2, 0, 0);
const MIN = 60_000;

/** The three bars every variant below must read back. */
const expected: Bar[] = [
  { kind: 'bar', symbol: 'USDJPY', ts: T0, intervalMs: MIN, open: 141, high: 141.02, low: 140.99, close: 141.01, volume: 120 },
  { kind: 'bar', symbol: 'USDJPY', ts: T0 + MIN, intervalMs: MIN, open: 141.01, high: 141.03, low: 141, close: 141.02, volume: 98 },
  { kind: 'bar', symbol: 'USDJPY', ts: T0 + 2 * MIN, intervalMs: MIN, open: 141.02, high: 141.04, low: 141.01, close: 141.03, volume: 77 },
];
const PRICES = '(141.0, 141.02, 140.99, 141.01, 120), (141.01, 141.03, 141.0, 141.02, 98), (141.02, 141.04, 141.01, 141.03, 77)';

function all(source: Observable<Bar>): Promise<Bar[]> {
  return lastValueFrom(source.pipe(toArray()));
}

async function parquet(name: string, select: string): Promise<string> {
  const path = join(dir, name);
  await withConnection((c) => c.run(`COPY (${select}) TO ${quotedString(path)} (FORMAT parquet)`));
  return path;
}

/** A Parquet file whose timestamp column is `tsExpr` over `i` (0, 1, 2 = the row index). */
function withTimestamp(name: string, tsExpr: string, tsName = 'timestamp'): Promise<string> {
  return parquet(
    name,
    `SELECT ${tsExpr} AS "${tsName}", o AS open, h AS high, l AS low, c AS close, v AS volume
     FROM (SELECT row_number() OVER () - 1 AS i, * FROM (VALUES ${PRICES}) AS p(o, h, l, c, v))`,
  );
}

function csv(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const ROWS = [
  ['141.0', '141.02', '140.99', '141.01', '120'],
  ['141.01', '141.03', '141.0', '141.02', '98'],
  ['141.02', '141.04', '141.01', '141.03', '77'],
];

function csvWithTimes(name: string, times: readonly string[], header = 'timestamp,open,high,low,close,volume', delimiter = ','): string {
  return csv(name, [header, ...times.map((t, i) => [t, ...ROWS[i]].join(delimiter))].join('\n'));
}

describe('replayParquet: timestamp flavours', () => {
  const epochMs = `${T0} + i * ${MIN}`;
  const cases: readonly (readonly [string, string, ReplayOptions])[] = [
    ['TIMESTAMPTZ', `make_timestamptz((${epochMs}) * 1000)`, {}],
    ['TIMESTAMP (naive = UTC)', `make_timestamp((${epochMs}) * 1000)`, {}],
    ['TIMESTAMP_NS', `CAST(make_timestamp((${epochMs}) * 1000) AS TIMESTAMP_NS)`, {}],
    ['TIMESTAMP_MS', `CAST(make_timestamp((${epochMs}) * 1000) AS TIMESTAMP_MS)`, {}],
    ['TIMESTAMP_S', `CAST(make_timestamp((${epochMs}) * 1000) AS TIMESTAMP_S)`, {}],
    ['TIMESTAMP wall time in Tokyo', `make_timestamp((${epochMs} + 9 * 3600000) * 1000)`, { timezone: 'Asia/Tokyo' }],
    ['BIGINT epoch s', `CAST((${epochMs}) / 1000 AS BIGINT)`, {}],
    ['BIGINT epoch ms', `CAST(${epochMs} AS BIGINT)`, {}],
    ['BIGINT epoch µs', `CAST(${epochMs} AS BIGINT) * 1000`, {}],
    ['BIGINT epoch ns', `CAST(${epochMs} AS BIGINT) * 1000000`, {}],
    ['DOUBLE epoch s', `CAST((${epochMs}) / 1000 AS DOUBLE)`, {}],
    ['VARCHAR ISO with Z', `strftime(make_timestamp((${epochMs}) * 1000), '%Y-%m-%dT%H:%M:%SZ')`, {}],
    ['VARCHAR ISO with +09:00', `strftime(make_timestamp((${epochMs} + 9 * 3600000) * 1000), '%Y-%m-%d %H:%M:%S+09:00')`, {}],
    ['VARCHAR naive, zone given', `strftime(make_timestamp((${epochMs}) * 1000), '%Y-%m-%d %H:%M:%S')`, { timezone: 'UTC' }],
  ];

  it.each(cases)('%s', async (label, tsExpr, options) => {
    const path = await withTimestamp(`ts-${label.replace(/\W+/g, '_')}.parquet`, tsExpr);
    await expect(all(replayParquet(path, { symbol: 'USDJPY', ...options }))).resolves.toEqual(expected);
  });

  it('DATE columns (daily bars) read as UTC midnight', async () => {
    const path = await withTimestamp('date.parquet', `DATE '2024-01-02' + CAST(i AS INTEGER)`, 'Date');
    const bars = await all(replayParquet(path, { symbol: 'USDJPY' }));
    expect(bars.map((b) => [b.ts, b.intervalMs])).toEqual([
      [Date.UTC(2024, 0, 2), 86_400_000],
      [Date.UTC(2024, 0, 3), 86_400_000],
      [Date.UTC(2024, 0, 4), 86_400_000],
    ]);
  });

  it('a timestamp column of another type is refused, naming it', async () => {
    const path = await withTimestamp('bool-ts.parquet', 'i > 0');
    await expect(all(replayParquet(path, { symbol: 'USDJPY' }))).rejects.toThrow(
      `${path}, field "timestamp": unsupported column type (BOOLEAN; expected a timestamp, a date, epoch numbers or ISO text)`,
    );
  });
});

describe('replayParquet: columns', () => {
  it('aliases, DECIMAL / text prices, INTEGER volume', async () => {
    const path = await parquet(
      'aliases.parquet',
      `SELECT make_timestamptz((${T0} + i * ${MIN}) * 1000) AS "Gmt time", CAST(o AS DECIMAL(10, 3)) AS o, CAST(h AS VARCHAR) AS High,
              l AS LOW, c AS c, CAST(v AS INTEGER) AS tick_volume
       FROM (SELECT row_number() OVER () - 1 AS i, * FROM (VALUES ${PRICES}) AS p(o, h, l, c, v))`,
    );
    await expect(all(replayParquet(path, { symbol: 'USDJPY' }))).resolves.toEqual(expected);
  });

  it('no volume column reads as volume 0', async () => {
    const path = await parquet(
      'novolume.parquet',
      `SELECT make_timestamptz((${T0} + i * ${MIN}) * 1000) AS ts, o AS open, h AS high, l AS low, c AS close
       FROM (SELECT row_number() OVER () - 1 AS i, * FROM (VALUES ${PRICES}) AS p(o, h, l, c, v))`,
    );
    const bars = await all(replayParquet(path, { symbol: 'USDJPY' }));
    expect(bars).toEqual(expected.map((b) => ({ ...b, volume: 0 })));
  });

  it('two columns naming the same field are refused', async () => {
    const path = await parquet('ambiguous.parquet', `SELECT DATE '2024-01-02' AS date, TIME '00:00' AS time, 1.0 AS open, 1.0 AS high, 1.0 AS low, 1.0 AS close`);
    await expect(all(replayParquet(path, { symbol: 'X' }))).rejects.toThrow(
      `${path}, field "timestamp": ambiguous columns ("date" and "time" both name the timestamp; keep one)`,
    );
  });

  it('a file that is not Parquet, or is missing, is a DataError naming it', async () => {
    const text = csv('fake.parquet', 'hello');
    await expect(all(replayParquet(text, { symbol: 'X' }))).rejects.toThrow(`${text}: not a readable Parquet file (Invalid Input Error: File '${text}' too small to be a Parquet file)`);
    const missing = join(dir, 'missing.parquet');
    await expect(all(replayParquet(missing, { symbol: 'X' }))).rejects.toThrow(new DataError('cannot open file', { file: missing }, 'ENOENT'));
  });
});

describe('replayCsv: formats', () => {
  const iso = ['2024-01-02T00:00:00Z', '2024-01-02T00:01:00Z', '2024-01-02T00:02:00Z'];
  const cases: readonly (readonly [string, string])[] = [
    ['epoch s', csvWithTimes('s.csv', ['1704153600', '1704153660', '1704153720'])],
    ['epoch ms', csvWithTimes('ms.csv', ['1704153600000', '1704153660000', '1704153720000'])],
    ['epoch µs', csvWithTimes('us.csv', ['1704153600000000', '1704153660000000', '1704153720000000'])],
    ['epoch ns', csvWithTimes('ns.csv', ['1704153600000000000', '1704153660000000000', '1704153720000000000'])],
    ['ISO +0900 / +09 / UTC', csvWithTimes('offsets.csv', ['2024-01-02T09:00:00+0900', '2024-01-02 09:01+09', '2024-01-02 00:02:00 UTC'])],
    ['fractional seconds', csvWithTimes('fraction.csv', ['2024-01-02T00:00:00.000Z', '2024-01-02T00:01:00.0000001Z', '"2024-01-02T00:02:00,000Z"'])],
    ['MetaTrader dots, semicolons', csvWithTimes('mt.csv', ['2024.01.02 00:00Z', '2024.01.02 00:01Z', '2024.01.02 00:02Z'], 'Time;Open;High;Low;Close;Volume', ';')],
    ['tabs', csvWithTimes('tabs.tsv.csv', iso, 'datetime\to\th\tl\tc\tv', '\t')],
    ['BOM, CRLF, blank lines, quotes', csv('messy.csv', `\uFEFF"Date","Open","High","Low","Close","Volume"\r\n\r\n"${iso[0]}",141.0,141.02,140.99,141.01,"120"\r\n${iso[1]},141.01,141.03,141.0,141.02,98\r\n\r\n${iso[2]},141.02,141.04,141.01,141.03,77`)],
  ];

  it.each(cases)('%s', async (_label, path) => {
    await expect(all(replayCsv(path, { symbol: 'USDJPY' }))).resolves.toEqual(expected);
  });

  it('row numbers count data rows: blank lines are not rows', async () => {
    const path = csv('blank-then-bad.csv', `timestamp,open,high,low,close\n\n${iso[0]},1,1,1,1\n\n\n${iso[1]},1,1,2,1\n`);
    await expect(all(replayCsv(path, { symbol: 'X' }))).rejects.toThrow(`${path}, row 2, field "high": low ≤ open, close ≤ high (high 1 < low 2)`);
  });

  it('an empty file and a header-only file', async () => {
    const empty = csv('empty.csv', '');
    await expect(all(replayCsv(empty, { symbol: 'X' }))).rejects.toThrow(`${empty}: no data rows (the file is empty)`);
    let report: ValidationReport | undefined;
    const headerOnly = csv('header-only.csv', 'timestamp,open,high,low,close\n');
    await expect(all(replayCsv(headerOnly, { symbol: 'X', onReport: (r) => (report = r) }))).resolves.toEqual([]);
    expect(report).toMatchObject({ rowsRead: 0, rowsEmitted: 0, intervalSource: 'none' });
    expect(report?.intervalMs).toBeUndefined();
  });

  it('a big file streams in batches and reads every row', async () => {
    const lines = ['timestamp,open,high,low,close,volume'];
    for (let i = 0; i < 20_000; i++) lines.push(`${T0 + i * MIN},141,141.1,140.9,141.05,${i}`);
    const path = csv('big.csv', lines.join('\n'));
    const bars = await all(replayCsv(path, { symbol: 'USDJPY', batchRows: 1000 }));
    expect(bars).toHaveLength(20_000);
    expect(bars[19_999]).toEqual({ kind: 'bar', symbol: 'USDJPY', ts: T0 + 19_999 * MIN, intervalMs: MIN, open: 141, high: 141.1, low: 140.9, close: 141.05, volume: 19_999 });
  });
});

describe('symbol and interval', () => {
  let stored: string;
  beforeAll(async () => {
    stored = join(dir, 'stored.parquet');
    await writeBarsParquet(stored, expected);
  });

  it('come from the options, else from the file metadata, else the interval is inferred', async () => {
    const reports: ValidationReport[] = [];
    const onReport = (r: ValidationReport): void => {
      reports.push(r);
    };
    await expect(all(replayParquet(stored, { onReport }))).resolves.toEqual(expected);
    const renamed = await all(replayParquet(stored, { symbol: 'JPY', intervalMs: 30_000, onReport }));
    expect(renamed[0]).toMatchObject({ symbol: 'JPY', intervalMs: 30_000 });
    const path = csvWithTimes('infer.csv', ['2024-01-02T00:00:00Z', '2024-01-02T00:05:00Z', '2024-01-02T00:10:00Z']);
    await all(replayCsv(path, { symbol: 'USDJPY', onReport }));
    expect(reports.map((r) => [r.symbol, r.intervalMs, r.intervalSource])).toEqual([
      ['USDJPY', 60_000, 'metadata'],
      ['JPY', 30_000, 'option'],
      ['USDJPY', 300_000, 'inferred'],
    ]);
    expect(reports[0]).toEqual({
      file: stored,
      symbol: 'USDJPY',
      records: 'bars',
      policy: 'error',
      rowsRead: 3,
      rowsEmitted: 3,
      rowsSkipped: 0,
      skipped: { 'malformed-row': 0, 'invalid-timestamp': 0, 'invalid-price': 0, 'price-range': 0, 'invalid-volume': 0, 'timestamp-order': 0, 'tick-order': 0 },
      examples: [],
      firstTs: T0,
      lastTs: T0 + 2 * MIN,
      intervalMs: 60_000,
      intervalSource: 'metadata',
    });
  });

  it('no symbol anywhere is a ConfigError naming the file', async () => {
    const path = csvWithTimes('nosymbol.csv', ['2024-01-02T00:00:00Z', '2024-01-02T00:01:00Z', '2024-01-02T00:02:00Z']);
    const error = await all(replayCsv(path)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(`${path}: no symbol: pass --symbol (the file name names no contract and the file carries no symbol)`);
  });

  it('a single row without an interval cannot be replayed', async () => {
    const path = csvWithTimes('single.csv', ['2024-01-02T00:00:00Z']);
    await expect(all(replayCsv(path, { symbol: 'X' }))).rejects.toThrow(
      `${path}: cannot infer the bar interval (fewer than two increasing timestamps; give the interval (npm run inspect -- --interval <ms>, or the intervalMs option))`,
    );
    await expect(all(replayCsv(path, { symbol: 'X', intervalMs: MIN }))).resolves.toHaveLength(1);
  });

  it('replayFile picks the reader by extension', async () => {
    await expect(all(replayFile(stored))).resolves.toEqual(expected);
    const path = csvWithTimes('by-extension.CSV', ['2024-01-02T00:00:00Z', '2024-01-02T00:01:00Z', '2024-01-02T00:02:00Z']);
    await expect(all(replayFile(path, { symbol: 'USDJPY' }))).resolves.toEqual(expected);
  });
});

describe('from / to', () => {
  const hours: Bar[] = Array.from({ length: 48 }, (_, i) => ({ ...expected[0], ts: T0 + i * 3_600_000, intervalMs: 3_600_000 }));
  const from = T0 + 10 * 3_600_000;
  const to = T0 + 20 * 3_600_000;

  it('keeps [from, to) from Parquet (pushed into SQL) and CSV alike', async () => {
    const path = join(dir, 'hours.parquet');
    await writeBarsParquet(path, hours);
    await expect(all(replayParquet(path, { from, to }))).resolves.toEqual(hours.slice(10, 20));
    const text = csv('hours.csv', ['timestamp,open,high,low,close,volume', ...hours.map((b) => `${b.ts},${b.open},${b.high},${b.low},${b.close},${b.volume}`)].join('\n'));
    await expect(all(replayCsv(text, { symbol: 'USDJPY', from, to }))).resolves.toEqual(hours.slice(10, 20));
    await expect(all(replayParquet(path, { from }))).resolves.toEqual(hours.slice(10));
    await expect(all(replayParquet(path, { to }))).resolves.toEqual(hours.slice(0, 20));
  });

  it('filters naive wall times after converting them, and epoch numbers too', async () => {
    const wall = await withTimestamp('wall-range.parquet', `make_timestamp((${T0} + i * ${MIN} + 9 * 3600000) * 1000)`);
    await expect(all(replayParquet(wall, { symbol: 'USDJPY', timezone: 'Asia/Tokyo', from: T0 + MIN }))).resolves.toEqual(expected.slice(1));
    const epoch = await withTimestamp('epoch-range.parquet', `CAST((${T0} + i * ${MIN}) / 1000 AS BIGINT)`);
    await expect(all(replayParquet(epoch, { symbol: 'USDJPY', intervalMs: MIN, from: T0 + MIN, to: T0 + 2 * MIN }))).resolves.toEqual([expected[1]]);
  });

  it('bad rows outside the range are not looked at; inside, errors still name the file row', async () => {
    const path = await parquet(
      'range-bad.parquet',
      `SELECT make_timestamptz((${T0} + i * ${MIN}) * 1000) AS timestamp, 141.0 AS open, CASE WHEN i IN (2, 7) THEN 140.0 ELSE 141.5 END AS high,
              140.5 AS low, 141.0 AS close FROM range(10) AS r(i)`,
    );
    await expect(all(replayParquet(path, { symbol: 'X', from: T0 + 3 * MIN, to: T0 + 7 * MIN }))).resolves.toHaveLength(4);
    await expect(all(replayParquet(path, { symbol: 'X', from: T0 + 3 * MIN }))).rejects.toThrow(`${path}, row 8, field "high": low ≤ open, close ≤ high`);
  });
});

/** Paths this process holds open. */
function openPaths(): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      out.push(readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // closed while listing
    }
  }
  return out;
}

async function released(path: string): Promise<boolean> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (!openPaths().includes(path)) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return false;
}

describe('cold, batched, releasing the file', () => {
  let big: string;
  let bigCsv: string;
  beforeAll(async () => {
    big = join(dir, 'big.parquet');
    const bars: Bar[] = Array.from({ length: 50_000 }, (_, i) => ({ ...expected[0], ts: T0 + i * MIN, volume: i }));
    await writeBarsParquet(big, bars);
    bigCsv = csv('big-release.csv', ['timestamp,open,high,low,close,volume', ...bars.map((b) => `${b.ts},${b.open},${b.high},${b.low},${b.close},${b.volume}`)].join('\n'));
  });

  it('each subscription reads the file again', async () => {
    const source = replayParquet(big, { to: T0 + 5 * MIN });
    const [a, b] = await Promise.all([all(source), all(source)]);
    expect(a).toHaveLength(5);
    expect(b).toEqual(a);
  });

  it('bars of a batch arrive synchronously, batches asynchronously', async () => {
    const turns: number[] = [];
    let turn = 0;
    let scheduled = false;
    const path = csvWithTimes('turns.csv', ['2024-01-02T00:00:00Z', '2024-01-02T00:01:00Z', '2024-01-02T00:02:00Z']);
    await new Promise<void>((resolve, reject) => {
      replayCsv(path, { symbol: 'X', intervalMs: MIN, batchRows: 2 }).subscribe({
        next: () => {
          turns.push(turn);
          if (!scheduled) {
            scheduled = true;
            queueMicrotask(() => {
              turn++;
              scheduled = false;
            });
          }
        },
        error: reject,
        complete: resolve,
      });
      expect(turns).toEqual([]); // nothing is read during subscribe()
    });
    expect(turns).toEqual([0, 0, 1]);
  });

  it.each([
    ['parquet', () => big],
    ['csv', () => bigCsv],
  ])('take(3) stops reading and releases the %s file', async (_kind, path) => {
    const seen = await all(replayFile(path(), { symbol: 'USDJPY', batchRows: 1000 }).pipe(take(3)));
    expect(seen.map((b) => b.volume)).toEqual([0, 1, 2]);
    await expect(released(path())).resolves.toBe(true);
  });

  it('unsubscribing while a batch is being read releases the file once it arrives', async () => {
    const subscription = replayParquet(big).subscribe();
    await new Promise((resolve) => setTimeout(resolve, 5));
    subscription.unsubscribe();
    await expect(released(big)).resolves.toBe(true);
    // And the file can be read again from scratch.
    await expect(firstValueFrom(replayParquet(big))).resolves.toEqual({ ...expected[0], volume: 0 });
  });

  it('an error releases the file', async () => {
    const path = csv('error-release.csv', `timestamp,open,high,low,close\n${T0},1,1,1,1\n${T0},1,1,1,1\n`);
    await expect(all(replayCsv(path, { symbol: 'X', intervalMs: MIN }))).rejects.toThrow('timestamps must be strictly increasing');
    await expect(released(path)).resolves.toBe(true);
  });
});
