import { extname } from 'node:path';
import { Observable } from 'rxjs';
import { z } from 'zod';
import { ConfigError, DataError } from '../core/errors';
import { formatZodError } from '../core/schemas';
import type { Bar } from '../core/types';
import type { BarBatchReader, OpenBarReader } from './barBatch';
import { openCsvReader } from './csvReader';
import { inferIntervalMs } from './intervals';
import { openParquetReader } from './parquetReader';
import { checkTimeZone } from './timestamps';
import { createBarValidator, type ValidationPolicy, type ValidationReport } from './validation';

export type { ValidationPolicy, ValidationReport, SkippedRow } from './validation';

/**
 * Historical bars from a file, as a cold Observable.
 *
 * ```
 * replayParquet('usdjpy.parquet', { symbol: 'USDJPY' })
 *   file:     [row1 row2 … row8192] [row8193 …] …
 *   output:   (abc…)----------------(def…)------|      bars of a batch synchronously, batches apart
 * ```
 *
 * Each subscription opens and streams the file (memory flat in file size); unsubscribing stops reading
 * and releases the file. Rows are validated (finite positive prices, low ≤ open/close ≤ high, volume ≥ 0,
 * strictly increasing time): under the default 'error' policy the first bad row ends the stream with a
 * DataError naming file, row (1-based data row), field and rule; under 'skip' bad rows are dropped and
 * counted in the report. Problems of the whole file (missing column, unreadable file, naive times without
 * a zone) are always errors.
 */
export interface ReplayOptions {
  /** Bar symbol. Defaults to the file's metadata (files written by `writeBarsParquet` carry it). */
  readonly symbol?: string;
  /** Bar interval; else the file's metadata; else inferred (see `inferIntervalMs`) and reported. */
  readonly intervalMs?: number;
  /** IANA zone of timestamps written without one (naive text, Parquet TIMESTAMP not adjusted to UTC). */
  readonly timezone?: string;
  readonly policy?: ValidationPolicy;
  /** Called once when the replay completes (clean or not): rows read/emitted/skipped, first/last ts, interval. */
  readonly onReport?: (report: ValidationReport) => void;
  /** Epoch ms, inclusive. */
  readonly from?: number;
  /** Epoch ms, exclusive. */
  readonly to?: number;
  /**
   * Rows per batch (bars of one batch are emitted synchronously). Default 8192. An inferred interval comes
   * from the first batch, so keep it ≥ a few rows when the interval is not given.
   */
  readonly batchRows?: number;
}

export const DEFAULT_BATCH_ROWS = 8192;

const replayOptionsSchema = z
  .strictObject({
    symbol: z.string().min(1).optional(),
    intervalMs: z.number().int().positive().optional(),
    timezone: z.string().min(1).optional(),
    policy: z.enum(['error', 'skip']).optional(),
    onReport: z.custom<(report: ValidationReport) => void>((v) => typeof v === 'function', 'a function').optional(),
    from: z.number().finite().optional(),
    to: z.number().finite().optional(),
    batchRows: z.number().int().positive().max(1_000_000).optional(),
  })
  .refine((o) => o.from === undefined || o.to === undefined || o.from < o.to, { message: 'from must be before to', path: ['from'] });

/** Checks replay options (a ConfigError names the option and the rule). */
export function parseReplayOptions(options: ReplayOptions): ReplayOptions {
  const parsed = replayOptionsSchema.safeParse(options);
  if (!parsed.success) throw new ConfigError(formatZodError(parsed.error), 'replay options');
  if (options.timezone !== undefined) checkTimeZone(options.timezone);
  return options;
}

export function replayParquet(path: string, options: ReplayOptions = {}): Observable<Bar> {
  return replayWith(openParquetReader, path, options);
}

export function replayCsv(path: string, options: ReplayOptions = {}): Observable<Bar> {
  return replayWith(openCsvReader, path, options);
}

const READERS: Readonly<Record<string, OpenBarReader>> = {
  '.parquet': openParquetReader,
  '.pq': openParquetReader,
  '.csv': openCsvReader,
  '.txt': openCsvReader,
};

/** By extension: `.parquet`/`.pq` or `.csv`/`.txt`. Throws a ConfigError for anything else. */
export function replayFile(path: string, options: ReplayOptions = {}): Observable<Bar> {
  return replayWith(readerFor(path), path, options);
}

/** The reader for a file name; a ConfigError for an unknown extension. */
export function readerFor(path: string): OpenBarReader {
  const reader = READERS[extname(path).toLowerCase()];
  if (!reader) {
    throw new ConfigError(`cannot tell the format of "${path}": expected a .parquet or .csv file`, 'replay');
  }
  return reader;
}

/** A replay through any reader behind the `BarBatchReader` interface. Options are checked here (ConfigError). */
export function replayWith(open: OpenBarReader, file: string, options: ReplayOptions = {}): Observable<Bar> {
  parseReplayOptions(options);
  const policy = options.policy ?? 'error';
  const from = options.from ?? Number.NEGATIVE_INFINITY;
  const to = options.to ?? Number.POSITIVE_INFINITY;
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;

  return new Observable<Bar>((subscriber) => {
    let reader: BarBatchReader | undefined;
    let stopped = false;

    const run = async (): Promise<void> => {
      const opened = await open(file, {
        timezone: options.timezone,
        from: options.from,
        to: options.to,
        batchRows,
      });
      if (stopped) {
        opened.close();
        return;
      }
      reader = opened;
      const symbol = options.symbol ?? opened.metadata.symbol;
      if (symbol === undefined) {
        throw new ConfigError('no symbol: pass the symbol option (the file carries no symbol metadata)', file);
      }
      const validator = createBarValidator({ file, symbol, policy, columns: opened.columns, from, to });
      let intervalMs = options.intervalMs ?? opened.metadata.intervalMs;
      let intervalSource: ValidationReport['intervalSource'] =
        options.intervalMs !== undefined ? 'option' : opened.metadata.intervalMs !== undefined ? 'metadata' : 'none';

      for (;;) {
        const batch = await opened.next();
        if (stopped || subscriber.closed) return;
        if (batch === null) break;
        if (intervalMs === undefined) {
          intervalMs = inferIntervalMs(batch.ts, batch.length);
          if (intervalMs === undefined) {
            throw new DataError('cannot infer the bar interval', { file }, 'fewer than two increasing timestamps; set the intervalMs option');
          }
          intervalSource = 'inferred';
        }
        if (!validator.emit(batch, intervalMs, subscriber)) return;
      }
      opened.close();
      options.onReport?.(validator.report(intervalMs, intervalSource));
      subscriber.complete();
    };

    run().catch((e: unknown) => {
      reader?.close();
      if (!subscriber.closed) subscriber.error(readableError(e, file));
    });

    return () => {
      stopped = true;
      reader?.close();
    };
  });
}

/** DataError and ConfigError pass through; anything else becomes a DataError naming the file. */
function readableError(e: unknown, file: string): Error {
  if (e instanceof DataError || e instanceof ConfigError) return e;
  return new DataError('cannot read file', { file }, e instanceof Error ? e.message : String(e));
}
