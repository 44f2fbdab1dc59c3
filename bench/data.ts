/**
 * The benchmark's data, generated deterministically and cached outside git (`.bench-data/`, ignored).
 *
 * Bars: synthetic 1-minute USDJPY from 2000-01-02 on, the idea of `scripts/makeFixtures.ts` (mulberry32
 * seeded, geometric Brownian motion at ~8 % a year, four 15-second steps a minute whose extremes are the
 * high and low, every price on the 0.001 grid, FX week only, busier volume in London and New York), with
 * its own seed. 1M bars cover about 2.7 years, 10M about 27. Written as `writeBarsParquet` lays files out
 * (TIMESTAMP adjusted to UTC, DOUBLE prices, ZSTD, `symbol`/`intervalMs` key/value metadata) but through a
 * DuckDB chunk appender and one COPY, because the writer's dedupe window is needless for generated data
 * and slow at 10M rows. A file is written beside its name and renamed, so an interrupted run never leaves
 * a half file that later runs would trust.
 *
 * Ticks: quote ticks in memory, a seeded walk with ~6 quotes a second (as `bench/barBuilder.ts` had them).
 */
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DOUBLE, DuckDBDataChunk, quotedString } from '@duckdb/node-api';
import { isFxOpen, mulberry32 } from '../scripts/makeFixtures';
import { VENDOR_WRITERS, textOf, type VendorWriter } from '../scripts/vendorSamples';
import { CANONICAL_CSV_HEADER } from '../src/data/csvWriter';
import type { Bar, QuoteTick } from '../src/core/types';
import { withConnection } from '../src/data/duckdb';

export const DATA_DIR = resolve(__dirname, '..', '.bench-data');
export const BAR_SEED = 20000102;
export const TICK_SEED = 42;
export const BARS_START = Date.UTC(2000, 0, 2);
const MINUTE_MS = 60_000;
const SIGMA_PER_MINUTE = 0.08 / Math.sqrt(5 * 1440 * 52);
const STEPS_PER_MINUTE = 4;
const START_PRICE = 105;

/** Columns of `n` generated bars, in time order. */
export interface BarColumns {
  readonly length: number;
  readonly ts: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
}

function activity(ts: number): number {
  const hour = Math.floor((ts % 86_400_000) / 3_600_000);
  if (hour < 7) return 0.8;
  if (hour < 12) return 1.2;
  if (hour < 16) return 1.5;
  if (hour < 21) return 0.9;
  return 0.4;
}

/**
 * Generates the first `n` bars of the series, `chunkRows` at a time, into reused column arrays handed to
 * `onChunk(columns, count)` (valid only during the call). The same `n` always gives the same bars, and a
 * longer series extends a shorter one, whatever the chunk size.
 */
export function forEachBarChunk(n: number, chunkRows: number, onChunk: (columns: BarColumns, count: number) => void): void {
  const columns: BarColumns = {
    length: chunkRows,
    ts: new Float64Array(chunkRows),
    open: new Float64Array(chunkRows),
    high: new Float64Array(chunkRows),
    low: new Float64Array(chunkRows),
    close: new Float64Array(chunkRows),
    volume: new Float64Array(chunkRows),
  };
  const uniform = mulberry32(BAR_SEED);
  let spare = Number.NaN;
  const normal = (): number => {
    if (spare === spare) {
      const z = spare;
      spare = Number.NaN;
      return z;
    }
    const r = Math.sqrt(-2 * Math.log(1 - uniform()));
    const angle = 2 * Math.PI * uniform();
    spare = r * Math.sin(angle);
    return r * Math.cos(angle);
  };
  const stepSigma = SIGMA_PER_MINUTE / Math.sqrt(STEPS_PER_MINUTE);
  const drift = -(stepSigma * stepSigma) / 2;
  let price = START_PRICE;
  let ts = BARS_START;
  let filled = 0;
  for (let i = 0; i < n; ts += MINUTE_MS) {
    if (!isFxOpen(ts)) continue;
    const open = price;
    let high = price;
    let low = price;
    for (let s = 0; s < STEPS_PER_MINUTE; s++) {
      price *= Math.exp(drift + stepSigma * normal());
      if (price > high) high = price;
      if (price < low) low = price;
    }
    columns.ts[filled] = ts;
    columns.open[filled] = Math.round(open * 1000) / 1000;
    columns.high[filled] = Math.round(high * 1000) / 1000;
    columns.low[filled] = Math.round(low * 1000) / 1000;
    columns.close[filled] = Math.round(price * 1000) / 1000;
    columns.volume[filled] = Math.max(1, Math.round(120 * activity(ts) * Math.exp(0.35 * normal())));
    i++;
    if (++filled === chunkRows || i === n) {
      onChunk(columns, filled);
      filled = 0;
    }
  }
}

/** The first `n` bars of the series as columns. */
export function generateBars(n: number): BarColumns {
  const out: BarColumns = {
    length: n,
    ts: new Float64Array(n),
    open: new Float64Array(n),
    high: new Float64Array(n),
    low: new Float64Array(n),
    close: new Float64Array(n),
    volume: new Float64Array(n),
  };
  let at = 0;
  forEachBarChunk(n, 65_536, (columns, count) => {
    for (const key of ['ts', 'open', 'high', 'low', 'close', 'volume'] as const) out[key].set(columns[key].subarray(0, count), at);
    at += count;
  });
  return out;
}

/** The bars as `Bar` objects (the graph benchmark's in-memory input). */
export function barsOf(columns: BarColumns, symbol = 'USDJPY'): Bar[] {
  const bars: Bar[] = new Array<Bar>(columns.length);
  for (let i = 0; i < columns.length; i++) {
    bars[i] = {
      kind: 'bar',
      symbol,
      ts: columns.ts[i],
      intervalMs: MINUTE_MS,
      open: columns.open[i],
      high: columns.high[i],
      low: columns.low[i],
      close: columns.close[i],
      volume: columns.volume[i],
    };
  }
  return bars;
}

/** `.bench-data/usdjpy-1m-<rows>.parquet` (the name carries the symbol, as the replay CLI expects). */
export function barFilePath(rows: number): string {
  return join(DATA_DIR, `usdjpy-1m-${rows}.parquet`);
}

const APPEND_ROWS = 2048;

/** Writes the first `rows` bars to `path` (see the module comment for the layout), a chunk at a time. */
export async function writeBarFile(path: string, rows: number): Promise<void> {
  const temporary = `${path}.${process.pid}.writing`;
  await withConnection(async (connection) => {
    await connection.run('CREATE TEMP TABLE bench_bars (ts DOUBLE, open DOUBLE, high DOUBLE, low DOUBLE, close DOUBLE, volume DOUBLE)');
    const appender = await connection.createAppender('bench_bars');
    try {
      const values: number[][] = Array.from({ length: 6 }, () => []);
      forEachBarChunk(rows, APPEND_ROWS, (columns, count) => {
        const sources = [columns.ts, columns.open, columns.high, columns.low, columns.close, columns.volume];
        for (let c = 0; c < 6; c++) {
          values[c].length = count;
          for (let i = 0; i < count; i++) values[c][i] = sources[c][i];
        }
        const chunk = DuckDBDataChunk.create(sources.map(() => DOUBLE), count);
        chunk.setColumns(values);
        appender.appendDataChunk(chunk);
      });
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    try {
      await connection.run(
        `COPY (SELECT make_timestamptz(CAST(ts AS BIGINT) * 1000) AS timestamp, open, high, low, close, volume FROM bench_bars)
         TO ${quotedString(temporary)} (FORMAT parquet, COMPRESSION zstd, KV_METADATA {symbol: 'USDJPY', intervalMs: '60000'})`,
      );
      renameSync(temporary, path);
    } finally {
      rmSync(temporary, { force: true });
      await connection.run('DROP TABLE bench_bars');
    }
  });
}

/** The bar file of `rows` rows, written first if it is not cached yet. Returns its path and whether it was made now. */
export async function ensureBarFile(rows: number): Promise<{ readonly path: string; readonly generatedMs?: number }> {
  const path = barFilePath(rows);
  if (existsSync(path)) return { path };
  mkdirSync(DATA_DIR, { recursive: true });
  const t0 = performance.now();
  await writeBarFile(path, rows);
  return { path, generatedMs: performance.now() - t0 };
}

/** `n` deterministic quote ticks, in time order. */
export function generateTicks(n: number, symbol = 'USDJPY'): QuoteTick[] {
  const ticks: QuoteTick[] = new Array<QuoteTick>(n);
  let seed = TICK_SEED;
  let mid = 150;
  let ts = Date.UTC(2024, 0, 2);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    mid += (seed / 0x100000000 - 0.5) * 0.002;
    ts += 50 + (seed % 200);
    ticks[i] = { kind: 'quote', symbol, ts, bid: mid - 0.0015, ask: mid + 0.0015 };
  }
  return ticks;
}

/** A text file the CSV figures read: the canonical CSV, or a vendor sample writer's layout. */
export type TextFileKind = 'canonical' | 'canonical-gz' | 'histdata' | 'dukascopy' | 'mt4' | 'mt5' | 'binance' | 'tradingview' | 'polygon' | 'histdata-tick';

const TEXT_WRITERS: Readonly<Record<Exclude<TextFileKind, 'canonical' | 'canonical-gz'>, string>> = {
  histdata: 'histdata/DAT_ASCII_USDJPY_M1_202403.csv',
  dukascopy: 'dukascopy/USDJPY_Candlestick_1_M_BID_08.03.2024-04.11.2024.csv',
  mt4: 'mt4/USDJPY1.csv',
  mt5: 'mt5/USDJPY_M1_202403080000_202411040200.csv',
  binance: 'binance/USDJPY-1m-2024-03.csv',
  tradingview: 'tradingview/FX_USDJPY, 1.csv',
  polygon: 'polygon/2024-03-08.csv.gz',
  'histdata-tick': 'histdata/DAT_ASCII_USDJPY_T_202403.csv',
};

/** `.bench-data/text/usdjpy-<kind>-<rows>.csv[.gz]` (the name carries the symbol, as the commands expect). */
export function textFilePath(kind: TextFileKind, rows: number): string {
  const gz = kind === 'canonical-gz' || kind === 'polygon';
  return join(DATA_DIR, 'text', `usdjpy-${kind}-${rows}.csv${gz ? '.gz' : ''}`);
}

const CANONICAL: VendorWriter = {
  path: 'usdjpy_1m.csv',
  header: CANONICAL_CSV_HEADER,
  eol: '\n',
  lines: (bars) => bars.map((b) => `${new Date(b.ts).toISOString()},${b.open},${b.high},${b.low},${b.close},${b.volume}`),
};

function writerOf(kind: TextFileKind): VendorWriter {
  if (kind === 'canonical' || kind === 'canonical-gz') return CANONICAL;
  const writer = VENDOR_WRITERS.find((w) => w.path === TEXT_WRITERS[kind]) as VendorWriter;
  // The Polygon sample lists another ticker too; the figure reads one ticker's rows.
  return kind === 'polygon' ? { ...writer, lines: (bars) => writer.lines(bars).filter((line) => line.startsWith('C:USD-JPY')) } : writer;
}

/**
 * The first `rows` bars of the series written as `kind` (tick layouts write four ticks a bar), a chunk at a
 * time (gzip as one member per chunk, which gzip readers take as one stream); written beside the name and
 * renamed, like the Parquet files.
 */
export async function ensureTextFile(kind: TextFileKind, rows: number): Promise<{ readonly path: string; readonly generatedMs?: number }> {
  const path = textFilePath(kind, rows);
  if (existsSync(path)) return { path };
  mkdirSync(dirname(path), { recursive: true });
  const t0 = performance.now();
  const writer = writerOf(kind);
  const gzip = writer.gzip === true || kind === 'canonical-gz';
  const temporary = `${path}.${process.pid}.writing`;
  const fd = openSync(temporary, 'w');
  try {
    let first = true;
    forEachBarChunk(rows, 16_384, (columns, count) => {
      const text = textOf(writer, barsOf({ ...columns, length: count }), first);
      const bytes = writer.utf16 ? Buffer.concat([first ? Buffer.from([0xff, 0xfe]) : Buffer.alloc(0), Buffer.from(text, 'utf16le')]) : Buffer.from(text);
      writeSync(fd, gzip ? gzipSync(bytes, { level: 6 }) : bytes);
      first = false;
    });
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  return { path, generatedMs: performance.now() - t0 };
}
