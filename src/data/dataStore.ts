import { access, rename, rm } from 'node:fs/promises';
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { Subscription, isObservable, lastValueFrom, toArray, type Observable } from 'rxjs';
import { DataError } from '../core/errors';
import type { Bar } from '../core/types';
import { BAR_RULE_TEXT, checkOhlcv } from './barRules';
import { duckdbApi, duckdbReason, withConnection } from './duckdb';
import { planParquetProjection } from './parquetReader';
import { replayParquet, type ReplayOptions } from './replay';

/**
 * Bars → Parquet (the DataStore), written by DuckDB.
 *
 * Layout: `timestamp` TIMESTAMP adjusted to UTC (µs, whole ms), `open`, `high`, `low`, `close`, `volume`
 * DOUBLE, sorted by time, ZSTD; the symbol and interval ride in the file's key/value metadata (`symbol`,
 * `intervalMs`), so `replayParquet(path)` gives back exactly the bars that were written.
 *
 * Rows are unique by time: when a time repeats, the later bar wins (within the input, and over the existing
 * file with `append`), which lets a fetcher resume or re-fetch an overlap without duplicates. The file is
 * written beside the target and renamed over it, so a failed write never leaves half a file.
 */

export interface WriteBarsOptions {
  /** Merge with the existing file (if any): dedupe by time (new bars win), keep sorted. */
  readonly append?: boolean;
}

export interface WriteBarsResult {
  readonly path: string;
  /** Rows in the file after the write. */
  readonly rows: number;
}

/** Numbers the temporary files of concurrent writes in this process. */
let writes = 0;

export type BarSource = Iterable<Bar> | AsyncIterable<Bar> | Observable<Bar>;

interface StagedBars {
  readonly count: number;
  readonly symbol?: string;
  readonly intervalMs?: number;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Calls `add` for every bar of any bar source, in order; resolves when the source ends. An `add` that throws
 * stops the source (an Observable is unsubscribed) and rejects with its error.
 */
export async function forEachBar(bars: BarSource, add: (bar: Bar) => void): Promise<void> {
  if (isObservable(bars)) {
    await new Promise<void>((resolve, reject) => {
      // Bars may arrive synchronously during subscribe(), before a Subscription is returned.
      const subscription = new Subscription();
      let failed = false;
      subscription.add(
        bars.subscribe({
          next: (bar) => {
            if (failed) return;
            try {
              add(bar);
            } catch (e) {
              failed = true;
              subscription.unsubscribe();
              reject(e);
            }
          },
          error: reject,
          complete: resolve,
        }),
      );
    });
  } else if (Symbol.asyncIterator in bars) {
    for await (const bar of bars) add(bar);
  } else {
    for (const bar of bars) add(bar);
  }
}

/** Appends bars to the staging table, checking each one (a DataError names the bar by its 1-based position). */
async function stage(appender: DuckDBAppender, bars: BarSource, path: string): Promise<StagedBars> {
  let count = 0;
  let symbol: string | undefined;
  let intervalMs: number | undefined;
  const add = (bar: Bar): void => {
    count++;
    const where = { file: path, row: count };
    if (symbol === undefined) {
      symbol = bar.symbol;
      intervalMs = bar.intervalMs;
      if (typeof symbol !== 'string' || symbol.length === 0) throw new DataError('symbol must be a non-empty string', { ...where, field: 'symbol' });
      if (!Number.isInteger(intervalMs) || intervalMs <= 0) {
        throw new DataError('intervalMs must be a positive integer', { ...where, field: 'intervalMs' }, `got ${intervalMs}`);
      }
    } else if (bar.symbol !== symbol || bar.intervalMs !== intervalMs) {
      throw new DataError(
        'one file holds one symbol and interval',
        { ...where, field: bar.symbol !== symbol ? 'symbol' : 'intervalMs' },
        `got ${bar.symbol}/${bar.intervalMs}, the first bar was ${symbol}/${intervalMs}`,
      );
    }
    if (!Number.isSafeInteger(bar.ts)) throw new DataError('ts must be whole epoch milliseconds', { ...where, field: 'ts' }, `got ${bar.ts}`);
    const violation = checkOhlcv(bar.open, bar.high, bar.low, bar.close, bar.volume);
    if (violation) throw new DataError(BAR_RULE_TEXT[violation.rule], { ...where, field: violation.field }, violation.detail);
    appender.appendDouble(count);
    appender.appendDouble(bar.ts);
    appender.appendDouble(bar.open);
    appender.appendDouble(bar.high);
    appender.appendDouble(bar.low);
    appender.appendDouble(bar.close);
    appender.appendDouble(bar.volume);
    appender.endRow();
  };

  await forEachBar(bars, add);
  appender.flushSync();
  return { count, symbol, intervalMs };
}

async function writeWith(connection: DuckDBConnection, path: string, bars: BarSource, options: WriteBarsOptions): Promise<WriteBarsResult> {
  const { quotedString } = duckdbApi();
  await connection.run(
    'CREATE TEMP TABLE incoming (seq DOUBLE, ts DOUBLE, open DOUBLE, high DOUBLE, low DOUBLE, close DOUBLE, volume DOUBLE)',
  );
  const appender = await connection.createAppender('incoming');
  let staged: StagedBars;
  try {
    staged = await stage(appender, bars, path);
  } finally {
    appender.closeSync();
  }

  let symbol = staged.symbol;
  let intervalMs = staged.intervalMs;
  let existing = '';
  if (options.append && (await exists(path))) {
    const plan = await planParquetProjection(connection, path);
    if (plan.timestamp.kind === 'text') {
      throw new DataError('cannot append to a file with text timestamps', { file: path, field: plan.columns.timestamp });
    }
    const meta = plan.metadata;
    if (symbol !== undefined && meta.symbol !== undefined && meta.symbol !== symbol) {
      throw new DataError('one file holds one symbol', { file: path, field: 'symbol' }, `the file holds ${meta.symbol}, the new bars are ${symbol}`);
    }
    if (intervalMs !== undefined && meta.intervalMs !== undefined && meta.intervalMs !== intervalMs) {
      throw new DataError('one file holds one interval', { file: path, field: 'intervalMs' }, `the file holds ${meta.intervalMs} ms bars, the new bars are ${intervalMs} ms`);
    }
    symbol ??= meta.symbol;
    intervalMs ??= meta.intervalMs;
    const volume = plan.hasVolume ? '' : ', 0.0';
    existing = `SELECT 0 AS src, 0 AS seq, ${plan.selectList}${volume} FROM ${plan.source} UNION ALL `;
  }

  const metadata: string[] = [];
  if (symbol !== undefined) metadata.push(`symbol: ${quotedString(symbol)}`);
  if (intervalMs !== undefined) metadata.push(`intervalMs: ${quotedString(String(intervalMs))}`);
  const kv = metadata.length ? `, KV_METADATA {${metadata.join(', ')}}` : '';
  const temporary = `${path}.${process.pid}-${++writes}.writing`;
  const sql = `COPY (
      SELECT make_timestamptz(CAST(ts AS BIGINT) * 1000) AS timestamp, open, high, low, close, volume
      FROM (${existing}SELECT 1 AS src, seq, ts, open, high, low, close, volume FROM incoming) AS merged (src, seq, ts, open, high, low, close, volume)
      QUALIFY row_number() OVER (PARTITION BY ts ORDER BY src DESC, seq DESC) = 1
      ORDER BY ts
    ) TO ${quotedString(temporary)} (FORMAT parquet, COMPRESSION zstd${kv})`;
  try {
    await connection.run(sql);
    const counted = await connection.runAndReadAll(`SELECT count(*)::DOUBLE FROM read_parquet(${quotedString(temporary)})`);
    await rename(temporary, path);
    return { path, rows: Number(counted.getRowsJS()[0][0]) };
  } catch (e) {
    await rm(temporary, { force: true });
    if (e instanceof DataError) throw e;
    throw new DataError('cannot write Parquet file', { file: path }, duckdbReason(e));
  }
}

/** Writes bars to a Parquet file (see the module comment for layout, dedupe and atomicity). */
export async function writeBarsParquet(path: string, bars: BarSource, options: WriteBarsOptions = {}): Promise<WriteBarsResult> {
  return withConnection((connection) => writeWith(connection, path, bars, options));
}

/** All bars of a (small) Parquet file, for tests and tools; symbol and interval default to the file's metadata. */
export async function readBarsParquet(path: string, options: ReplayOptions = {}): Promise<Bar[]> {
  return lastValueFrom(replayParquet(path, options).pipe(toArray()));
}
