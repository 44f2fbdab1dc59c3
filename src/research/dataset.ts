import { basename, resolve } from 'node:path';
import { Observable } from 'rxjs';
import { DataError } from '../core/errors';
import type { Bar } from '../core/types';
import { makeBar } from '../data/bar';
import { sha256OfFile } from '../data/fileHash';
import { replayFile, type ReplayOptions, type ValidationReport } from '../data/replay';

/**
 * Decode once: the bars of a file read, validated and kept as columns in ONE SharedArrayBuffer, so every
 * worker thread of a sweep reads the same memory (no copy, no second read of the file) and every config of a
 * sweep runs on exactly the bars a replay of the file would emit (the file goes through `replayFile`, the
 * replay's own reader, with the replay's options).
 *
 * One symbol per dataset: the bars of a file.
 */
export interface BarColumns {
  readonly symbol: string;
  readonly length: number;
  /** The buffer the columns are views of: `COLUMNS.length` × length doubles. */
  readonly buffer: SharedArrayBuffer;
  readonly ts: Float64Array;
  readonly intervalMs: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
}

/** What crosses to a worker thread (structured clone shares a SharedArrayBuffer instead of copying it). */
export interface SharedBars {
  readonly symbol: string;
  readonly length: number;
  readonly buffer: SharedArrayBuffer;
}

/** The data file a dataset was read from: what a report records, and what a cluster worker checks. */
export interface DatasetSource {
  /** Absolute path. */
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
}

export interface Dataset {
  readonly source: DatasetSource;
  readonly columns: BarColumns;
  readonly validation: ValidationReport | undefined;
}

const COLUMNS = ['ts', 'intervalMs', 'open', 'high', 'low', 'close', 'volume'] as const;

/** The columns over a shared buffer (in the thread that made it or in a worker that received it). */
export function columnsOf(shared: SharedBars): BarColumns {
  const { buffer, length } = shared;
  const column = (i: number): Float64Array => new Float64Array(buffer, i * length * 8, length);
  return {
    symbol: shared.symbol,
    length,
    buffer,
    ts: column(0),
    intervalMs: column(1),
    open: column(2),
    high: column(3),
    low: column(4),
    close: column(5),
    volume: column(6),
  };
}

export function sharedBars(columns: BarColumns): SharedBars {
  return { symbol: columns.symbol, length: columns.length, buffer: columns.buffer };
}

/**
 * Reads a bar or tick file once (through `replayFile`: the same rows, validation, resampling and errors as
 * `npm run replay`) into shared columns, and hashes it beside the read.
 */
export async function loadDataset(file: string, options: ReplayOptions): Promise<Dataset> {
  const path = resolve(file);
  const hashing = sha256OfFile(path);
  hashing.catch(() => undefined); // a file that cannot be read is reported by the reader below
  let validation: ValidationReport | undefined;
  const chunks: number[][] = COLUMNS.map(() => []);
  let symbol: string | undefined;
  await new Promise<void>((done, fail) => {
    replayFile(path, { ...options, onReport: (report) => (validation = report) }).subscribe({
      next: (bar) => {
        if (symbol === undefined) symbol = bar.symbol;
        else if (bar.symbol !== symbol) {
          throw new DataError('a dataset holds one symbol', { file: basename(path) }, `${symbol} then ${bar.symbol}`);
        }
        chunks[0].push(bar.ts);
        chunks[1].push(bar.intervalMs);
        chunks[2].push(bar.open);
        chunks[3].push(bar.high);
        chunks[4].push(bar.low);
        chunks[5].push(bar.close);
        chunks[6].push(bar.volume);
      },
      error: fail,
      complete: done,
    });
  });
  const length = chunks[0].length;
  const columns = columnsOf({ symbol: symbol ?? options.symbol ?? '', length, buffer: new SharedArrayBuffer(Math.max(1, COLUMNS.length * length * 8)) });
  COLUMNS.forEach((name, i) => columns[name].set(chunks[i]));
  return { source: { path, ...(await hashing) }, columns, validation };
}

/**
 * The bars of `[start, end)` as a cold Observable, emitted synchronously: a fresh `Bar` per index (the same
 * shape `makeBar` gives the readers), so the graph sees what a replay of the file gives it.
 */
export function barsOf(columns: BarColumns, start = 0, end = columns.length): Observable<Bar> {
  const { symbol, ts, intervalMs, open, high, low, close, volume } = columns;
  return new Observable<Bar>((subscriber) => {
    for (let i = start; i < end && !subscriber.closed; i++) {
      subscriber.next(makeBar(symbol, ts[i], intervalMs[i], open[i], high[i], low[i], close[i], volume[i]));
    }
    subscriber.complete();
  });
}

/** The first index whose bar starts at or after `ts` (binary search over the sorted `ts` column). */
export function indexAtOrAfter(columns: BarColumns, ts: number): number {
  let lo = 0;
  let hi = columns.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (columns.ts[mid] < ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
