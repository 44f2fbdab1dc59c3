import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, afterAll } from '@jest/globals';
import { concat, from, throwError } from 'rxjs';
import type { Bar } from '../core/types';
import { barSeries, makeBar } from '../testkit/marbles';
import { readBarsParquet, writeBarsParquet } from './dataStore';
import { withConnection } from './duckdb';

const dir = mkdtempSync(join(tmpdir(), 'dataStore-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bars: Bar[] = barSeries({ symbol: 'USDJPY', start: '2024-01-02T00:00:00Z', closes: [141.001, 141.234, 140.987, 141.5] }).map((b, i) => ({
  ...b,
  high: b.high + 0.01,
  low: b.low - 0.02,
  volume: 10 + i,
}));

async function* asyncBars(list: readonly Bar[]): AsyncGenerator<Bar> {
  for (const bar of list) yield bar;
}

describe('writeBarsParquet / readBarsParquet', () => {
  it('round-trips bars exactly, symbol and interval from the file metadata', async () => {
    const path = join(dir, 'roundtrip.parquet');
    await expect(writeBarsParquet(path, bars)).resolves.toEqual({ path, rows: 4 });
    await expect(readBarsParquet(path)).resolves.toEqual(bars);
  });

  it('writes the documented layout: UTC timestamp, DOUBLE prices, metadata', async () => {
    const path = join(dir, 'layout.parquet');
    await writeBarsParquet(path, bars);
    const described = await withConnection(async (c) => (await c.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${path}')`)).getRowsJS());
    expect(described.map((r) => [r[0], r[1]])).toEqual([
      ['timestamp', 'TIMESTAMP WITH TIME ZONE'],
      ['open', 'DOUBLE'],
      ['high', 'DOUBLE'],
      ['low', 'DOUBLE'],
      ['close', 'DOUBLE'],
      ['volume', 'DOUBLE'],
    ]);
    const kv = await withConnection(async (c) =>
      (await c.runAndReadAll(`SELECT decode(key), decode(value) FROM parquet_kv_metadata('${path}')`)).getRowsJS(),
    );
    expect(kv).toEqual([
      ['symbol', 'USDJPY'],
      ['intervalMs', '60000'],
    ]);
  });

  it('accepts an Observable, an async iterable or an array', async () => {
    for (const [name, source] of [
      ['observable', from(bars)],
      ['async', asyncBars(bars)],
      ['array', bars],
    ] as const) {
      const path = join(dir, `source-${name}.parquet`);
      await writeBarsParquet(path, source);
      await expect(readBarsParquet(path)).resolves.toEqual(bars);
    }
  });

  it('sorts by time and keeps the later of two bars with the same time', async () => {
    const path = join(dir, 'dedupe.parquet');
    const replacement = { ...bars[1], close: 141.3, high: 141.3 };
    await expect(writeBarsParquet(path, [bars[2], bars[1], bars[0], replacement])).resolves.toEqual({ path, rows: 3 });
    await expect(readBarsParquet(path)).resolves.toEqual([bars[0], replacement, bars[2]]);
  });

  it('appends: merges with the existing file, new bars win, no duplicates', async () => {
    const path = join(dir, 'append.parquet');
    await writeBarsParquet(path, bars.slice(0, 3));
    const revised = { ...bars[2], close: 141.2, volume: 99 };
    await expect(writeBarsParquet(path, [revised, bars[3]], { append: true })).resolves.toEqual({ path, rows: 4 });
    await expect(readBarsParquet(path)).resolves.toEqual([bars[0], bars[1], revised, bars[3]]);
    // Appending the same bars again changes nothing.
    await expect(writeBarsParquet(path, [revised, bars[3]], { append: true })).resolves.toEqual({ path, rows: 4 });
    await expect(readBarsParquet(path)).resolves.toEqual([bars[0], bars[1], revised, bars[3]]);
  });

  it('append to a missing file creates it; without append the file is replaced', async () => {
    const path = join(dir, 'fresh.parquet');
    await expect(writeBarsParquet(path, bars.slice(0, 2), { append: true })).resolves.toEqual({ path, rows: 2 });
    await expect(writeBarsParquet(path, bars.slice(3))).resolves.toEqual({ path, rows: 1 });
    await expect(readBarsParquet(path)).resolves.toEqual(bars.slice(3));
  });

  it('refuses to mix symbols or intervals, naming the bar', async () => {
    const path = join(dir, 'mixed.parquet');
    const other = makeBar({ symbol: 'EURUSD', ts: bars[3].ts + 60_000, close: 1.1 });
    await expect(writeBarsParquet(path, [...bars, other])).rejects.toThrow(
      `${path}, row 5, field "symbol": one file holds one symbol and interval (got EURUSD/60000, the first bar was USDJPY/60000)`,
    );
    await writeBarsParquet(path, bars);
    const eurusd = barSeries({ symbol: 'EURUSD', start: '2024-01-03T00:00:00Z', closes: [1.1] });
    await expect(writeBarsParquet(path, eurusd, { append: true })).rejects.toThrow(
      `${path}, field "symbol": one file holds one symbol (the file holds USDJPY, the new bars are EURUSD)`,
    );
    const hourly = barSeries({ symbol: 'USDJPY', start: '2024-01-03T00:00:00Z', intervalMs: 3_600_000, closes: [141] });
    await expect(writeBarsParquet(path, hourly, { append: true })).rejects.toThrow('one file holds one interval (the file holds 60000 ms bars, the new bars are 3600000 ms)');
    await expect(readBarsParquet(path)).resolves.toEqual(bars);
  });

  it('refuses invalid bars with the rule, and leaves no file behind', async () => {
    const path = join(dir, 'invalid.parquet');
    const bad = { ...bars[1], high: bars[1].low - 1 };
    await expect(writeBarsParquet(path, [bars[0], bad])).rejects.toThrow(`${path}, row 2, field "high": low ≤ open, close ≤ high`);
    const fractional = { ...bars[1], ts: bars[1].ts + 0.5 };
    await expect(writeBarsParquet(path, [fractional])).rejects.toThrow('ts must be whole epoch milliseconds (got 1704153660000.5)');
    await expect(readBarsParquet(path)).rejects.toThrow(`${path}: cannot open file (ENOENT)`);
  });

  it('an Observable that errors fails the write', async () => {
    const path = join(dir, 'erroring.parquet');
    const failing = concat(from(bars), throwError(() => new Error('feed lost')));
    await expect(writeBarsParquet(path, failing)).rejects.toThrow('feed lost');
    await expect(readBarsParquet(path)).rejects.toThrow('cannot open file');
  });

  it('refuses to append to a file that is not Parquet', async () => {
    const path = join(dir, 'text.parquet');
    writeFileSync(path, 'not parquet');
    await expect(writeBarsParquet(path, bars, { append: true })).rejects.toThrow(`${path}: not a readable Parquet file`);
  });
});
