import { extname } from 'node:path';
import { Observable } from 'rxjs';
import { z } from 'zod';
import { barBuilder, priceBars } from '../../operators/barBuilder';
import { ConfigError, DataError } from '../core/errors';
import { formatZodError } from '../core/schemas';
import type { Bar } from '../core/types';
import type { BarBatchReader, BarReaderOptions, FileFormat, OpenBarReader, ReadProgress } from './barBatch';
import type { ColumnMap } from './columnMap';
import { barReader } from './csvReader';
import { openDelimitedFile } from './delimitedFile';
import { inferIntervalMs } from './intervals';
import { isFormatName, type FormatName, type RecordKind } from './layouts';
import { openParquetReader } from './parquetReader';
import type { DateOrder } from './textTime';
import { tickReader, type TickBatchReader } from './tickReader';
import { createBarValidator, createTickValidator, type ValidationPolicy, type ValidationReport } from './validation';
import { resolveTimeZone } from './zones';

export type { ValidationPolicy, ValidationReport, SkippedRow } from './validation';

/**
 * Historical bars from a file, as a cold Observable.
 *
 * ```
 * replayFile('usdjpy.parquet', { symbol: 'USDJPY' })
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
 *
 * `replayFile` reads any file: Parquet, or delimited text in any layout `sniff.ts` detects (vendor exports,
 * gzip, UTF-16…). A tick file becomes the bars `barBuilder` builds of its ticks (1 minute unless `barMs` says
 * otherwise), made by `priceBars` from the rows' numbers; `barMs` on a bar file resamples it through
 * `barBuilder` (daily bars on the FX 17:00 New York day).
 */
export interface ReplayOptions {
  /** Bar symbol. Defaults to the file's metadata (files written by `writeBarsParquet` carry it). */
  readonly symbol?: string;
  /** The symbol when neither `symbol` nor the file gives one (`inspect` names bars after the file). */
  readonly defaultSymbol?: string;
  /** Bar interval; else the file's metadata; else inferred (see `inferIntervalMs`) and reported. */
  readonly intervalMs?: number;
  /** Zone of timestamps written without one (see `zones.ts`: IANA, `UTC-5`, `America/New_York+7`). */
  readonly timezone?: string;
  readonly policy?: ValidationPolicy;
  /** Called once when the replay completes (clean or not): rows read/emitted/skipped, first/last ts, interval. */
  readonly onReport?: (report: ValidationReport) => void;
  /** Called once the file is open: how it is read, and how far (for a progress bar). */
  readonly onOpen?: (opened: OpenedFile) => void;
  /** Epoch ms, inclusive. */
  readonly from?: number;
  /** Epoch ms, exclusive. */
  readonly to?: number;
  /**
   * Rows per batch (bars of one batch are emitted synchronously). Default 8192. An inferred interval comes
   * from the first batch, so keep it ≥ a few rows when the interval is not given.
   */
  readonly batchRows?: number;
  /** Text files: the layout, when detection cannot tell it. */
  readonly format?: FormatName;
  /** Text files: which column holds what. */
  readonly columns?: ColumnMap;
  /** Text files: how dates with the year last are read. */
  readonly dateOrder?: DateOrder;
  /** Bars of this interval: built from a tick file, or resampled from a bar file, by `barBuilder`. */
  readonly barMs?: number;
  /** Tick files: the price bars are built from (default mid for quotes, last for trades). */
  readonly price?: TickPrice;
  /**
   * Awaited after each batch's bars have gone out, before the next batch is read: a consumer that merges
   * several files (`mergeByEventTime`) holds a file here until it needs its next bars, so memory stays one
   * batch a file however the files' speeds differ.
   */
  readonly pace?: () => Promise<void>;
}

export type TickPrice = 'bid' | 'ask' | 'mid' | 'last';

/** What a replay opened: how the file is read, what it holds, and how far the reading is. */
export interface OpenedFile {
  readonly file: string;
  readonly format: FileFormat;
  readonly records: RecordKind;
  readonly progress?: () => ReadProgress;
}

export const DEFAULT_BATCH_ROWS = 8192;
/** Bars built from ticks when no interval is asked for. */
export const DEFAULT_TICK_BAR_MS = 60_000;

const replayOptionsSchema = z
  .strictObject({
    symbol: z.string().min(1).optional(),
    defaultSymbol: z.string().min(1).optional(),
    intervalMs: z.number().int().positive().optional(),
    timezone: z.string().min(1).optional(),
    policy: z.enum(['error', 'skip']).optional(),
    onReport: z.custom<(report: ValidationReport) => void>((v) => typeof v === 'function', 'a function').optional(),
    onOpen: z.custom<(opened: OpenedFile) => void>((v) => typeof v === 'function', 'a function').optional(),
    from: z.number().finite().optional(),
    to: z.number().finite().optional(),
    batchRows: z.number().int().positive().max(1_000_000).optional(),
    format: z.string().refine(isFormatName, 'a format name').optional(),
    columns: z.custom<ColumnMap>((v) => typeof v === 'object' && v !== null, 'a column map').optional(),
    dateOrder: z.enum(['dmy', 'mdy']).optional(),
    barMs: z.number().int().positive().optional(),
    price: z.enum(['bid', 'ask', 'mid', 'last']).optional(),
    pace: z.custom<() => Promise<void>>((v) => typeof v === 'function', 'a function').optional(),
  })
  .refine((o) => o.from === undefined || o.to === undefined || o.from < o.to, { message: 'from must be before to', path: ['from'] });

/** Checks replay options (a ConfigError names the option and the rule). */
export function parseReplayOptions(options: ReplayOptions): ReplayOptions {
  const parsed = replayOptionsSchema.safeParse(options);
  if (!parsed.success) throw new ConfigError(formatZodError(parsed.error), 'replay options');
  if (options.timezone !== undefined) resolveTimeZone(options.timezone, 'timezone option');
  return options;
}

export function replayParquet(path: string, options: ReplayOptions = {}): Observable<Bar> {
  return replayWith(openParquetReader, path, options);
}

/** A delimited text bar file (any layout; see `replayFile` for tick files). */
export function replayCsv(path: string, options: ReplayOptions = {}): Observable<Bar> {
  return replayWith(
    async (file, readerOptions) => {
      const opened = await openDelimitedFile({ file, ...readerOptions });
      if (opened.layout.records === 'bars') return barReader(file, opened, readerOptions);
      opened.rows.close();
      throw new DataError('a tick file, not bars', { file }, `${opened.layout.title}; replay it with replayFile (or npm run replay) to build bars from its ticks`);
    },
    path,
    options,
  );
}

const PARQUET = new Set(['.parquet', '.pq']);

/** Parquet by extension; everything else is read as delimited text. */
export function isParquetFile(path: string): boolean {
  return PARQUET.has(extname(path).toLowerCase());
}

/** The bar reader for a file name: Parquet or delimited text. */
export function readerFor(path: string): OpenBarReader {
  return isParquetFile(path) ? openParquetReader : (file, options) => openDelimitedFile({ file, ...options }).then((opened) => barReader(file, opened, options));
}

function readerOptions(options: ReplayOptions): BarReaderOptions {
  return {
    timezone: options.timezone,
    from: options.from,
    to: options.to,
    batchRows: options.batchRows ?? DEFAULT_BATCH_ROWS,
    format: options.format,
    columns: options.columns,
    dateOrder: options.dateOrder,
    symbol: options.symbol,
  };
}

/** Any bar or tick file; ticks (and bars, with `barMs`) go through `barBuilder`. */
export function replayFile(path: string, options: ReplayOptions = {}): Observable<Bar> {
  parseReplayOptions(options);
  return new Observable<Bar>((subscriber) => {
    let stopped = false;
    let inner: { unsubscribe(): void } | undefined;
    let release: (() => void) | undefined;
    const open = async (): Promise<void> => {
      const read = readerOptions(options);
      if (isParquetFile(path)) {
        const reader = await openParquetReader(path, read);
        release = () => reader.close();
        return connect(barsFrom(reader, path, options));
      }
      const opened = await openDelimitedFile({ file: path, ...read });
      if (opened.layout.records === 'bars') {
        const reader = barReader(path, opened, read);
        release = () => reader.close();
        return connect(barsFrom(reader, path, options));
      }
      const reader = tickReader(path, opened, read);
      release = () => reader.close();
      const barMs = options.barMs ?? DEFAULT_TICK_BAR_MS;
      return connect(tickBarsFrom(reader, path, options, barMs), false);
    };
    const connect = (bars$: Observable<Bar>, resample = options.barMs !== undefined): void => {
      if (stopped) {
        release?.();
        return;
      }
      inner = (resample ? bars$.pipe(barBuilder(options.barMs as number)) : bars$).subscribe(subscriber);
    };
    open().catch((e: unknown) => {
      release?.();
      if (!subscriber.closed) subscriber.error(readableError(e, path));
    });
    return () => {
      stopped = true;
      inner?.unsubscribe();
      release?.();
    };
  });
}

/** A replay through any reader behind the `BarBatchReader` interface. Options are checked here (ConfigError). */
export function replayWith(open: OpenBarReader, file: string, options: ReplayOptions = {}): Observable<Bar> {
  parseReplayOptions(options);
  return new Observable<Bar>((subscriber) => {
    let reader: BarBatchReader | undefined;
    let inner: { unsubscribe(): void } | undefined;
    let stopped = false;
    open(file, readerOptions(options)).then(
      (opened) => {
        if (stopped) {
          opened.close();
          return;
        }
        reader = opened;
        inner = barsFrom(opened, file, options).subscribe(subscriber);
      },
      (e: unknown) => {
        if (!subscriber.closed) subscriber.error(readableError(e, file));
      },
    );
    return () => {
      stopped = true;
      inner?.unsubscribe();
      reader?.close();
    };
  });
}

function noSymbol(file: string): never {
  throw new ConfigError('no symbol: pass --symbol (the file name names no contract and the file carries no symbol)', file);
}

/** The bars of an open reader, validated; subscribed once (the reader is consumed). */
function barsFrom(reader: BarBatchReader, file: string, options: ReplayOptions): Observable<Bar> {
  const policy = options.policy ?? 'error';
  const from = options.from ?? Number.NEGATIVE_INFINITY;
  const to = options.to ?? Number.POSITIVE_INFINITY;
  return new Observable<Bar>((subscriber) => {
    let stopped = false;
    const run = async (): Promise<void> => {
      options.onOpen?.({ file, format: reader.format, records: 'bars', ...(reader.progress ? { progress: reader.progress } : {}) });
      const symbol = options.symbol ?? reader.metadata.symbol ?? options.defaultSymbol ?? noSymbol(file);
      const validator = createBarValidator({ file, symbol, policy, columns: reader.columns, from, to });
      let intervalMs = options.intervalMs ?? reader.metadata.intervalMs;
      let intervalSource: ValidationReport['intervalSource'] =
        options.intervalMs !== undefined ? 'option' : reader.metadata.intervalMs !== undefined ? 'metadata' : 'none';
      for (;;) {
        const batch = await reader.next();
        if (stopped || subscriber.closed) return;
        if (batch === null) break;
        if (intervalMs === undefined) {
          intervalMs = inferIntervalMs(batch.ts, batch.length);
          if (intervalMs === undefined) {
            throw new DataError('cannot infer the bar interval', { file }, 'fewer than two increasing timestamps; give the interval (npm run inspect -- --interval <ms>, or the intervalMs option)');
          }
          intervalSource = 'inferred';
        }
        if (!validator.emit(batch, intervalMs, subscriber)) return;
        if (options.pace !== undefined) await options.pace();
      }
      reader.close();
      options.onReport?.(validator.report(intervalMs, intervalSource));
      subscriber.complete();
    };
    run().catch((e: unknown) => {
      reader.close();
      if (!subscriber.closed) subscriber.error(readableError(e, file));
    });
    return () => {
      stopped = true;
      reader.close();
    };
  });
}

/**
 * The bars of `barMs` built from an open tick reader's rows, validated, with the price `options.price` asks
 * for: what `barBuilder(barMs)` makes of the ticks, built from the batch columns without a `Tick` object per
 * row (see `priceBars`). As through the operator, the report is handed over before the last bar goes out,
 * and an error ends the stream without it.
 */
function tickBarsFrom(reader: TickBatchReader, file: string, options: ReplayOptions, barMs: number): Observable<Bar> {
  const policy = options.policy ?? 'error';
  const price = options.price ?? (reader.kind === 'quotes' ? 'mid' : 'last');
  if ((reader.kind === 'trades') !== (price === 'last')) {
    throw new ConfigError(
      reader.kind === 'trades' ? `the file holds trades (price, size): use --price last, not ${price}` : `the file holds quotes (bid, ask): use --price bid, ask or mid, not ${price}`,
      '--price',
    );
  }
  // Made before anything is read, as `barBuilder(barMs)` is: a bad interval is a ConfigError up front.
  const barsOf = priceBars(barMs);
  return new Observable<Bar>((subscriber) => {
    let stopped = false;
    const run = async (): Promise<void> => {
      options.onOpen?.({ file, format: reader.format, records: reader.kind, progress: reader.progress });
      const symbol = options.symbol ?? reader.layout.fileSymbol ?? options.defaultSymbol ?? noSymbol(file);
      const bars = barsOf(symbol, (bar) => subscriber.next(bar));
      const validator = createTickValidator({
        file,
        symbol,
        policy,
        columns: reader.columns,
        from: options.from ?? Number.NEGATIVE_INFINITY,
        to: options.to ?? Number.POSITIVE_INFINITY,
        price,
        records: reader.kind,
      });
      for (;;) {
        const batch = await reader.next();
        if (stopped || subscriber.closed) return;
        if (batch === null) break;
        if (!validator.emit(batch, bars, subscriber)) return;
        if (options.pace !== undefined) await options.pace();
      }
      reader.close();
      options.onReport?.(validator.report(options.barMs ?? DEFAULT_TICK_BAR_MS));
      bars.flush();
      if (!subscriber.closed) subscriber.complete();
    };
    run().catch((e: unknown) => {
      reader.close();
      if (!subscriber.closed) subscriber.error(readableError(e, file));
    });
    return () => {
      stopped = true;
      reader.close();
    };
  });
}

/** DataError and ConfigError pass through; anything else becomes a DataError naming the file. */
function readableError(e: unknown, file: string): Error {
  if (e instanceof DataError || e instanceof ConfigError) return e;
  return new DataError('cannot read file', { file }, e instanceof Error ? e.message : String(e));
}
