import type { BarRule } from './barRules';
import type { ColumnMap } from './columnMap';
import type { FormatName, TextLayout } from './layouts';
import type { TextCompression, TextEncoding } from './textFile';
import type { DateOrder } from './textTime';

/**
 * The one small interface between a file format and the replay: a reader hands out columnar batches of
 * rows already converted to numbers (timestamps as UTC epoch ms), and the replay validates them and makes
 * `Bar`s. Any reader (DuckDB Parquet, the CSV parser, another Parquet library) can sit behind it.
 */

export interface BarBatch {
  /** Rows in this batch; the arrays may be longer (they are reused), read only `[0, length)`. */
  readonly length: number;
  /** 1-based data row in the file (header not counted) of each element. */
  readonly rows: Float64Array;
  /** UTC epoch ms; NaN when the file's value is not a time. */
  readonly ts: Float64Array;
  /** NaN when missing or not a number. */
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  /** 0 when the file has no volume column; NaN when a value is missing or not a number. */
  readonly volume: Float64Array;
  /**
   * Rows the reader rejected itself (it could not split the line, a time or a value is not one), in index
   * order; usually empty. Such a row stays in the batch, in file order (`ts` NaN when its time is what is
   * wrong), so the replay reports rows in the order of the file.
   */
  readonly rejections: readonly RowRejection[];
}

export interface RowRejection {
  /** Index in the batch. */
  readonly index: number;
  readonly rule: BarRule;
  /** The column as named in the file (absent when the whole row is malformed). */
  readonly field?: string;
  readonly detail: string;
}

/** Column names as written in the file, so errors name what the user sees. */
export interface BarColumnNames {
  readonly timestamp: string;
  readonly open: string;
  readonly high: string;
  readonly low: string;
  readonly close: string;
  readonly volume: string;
}

/** What the file says about itself (Parquet key/value metadata written by `writeBarsParquet`). */
export interface BarFileMetadata {
  readonly symbol?: string;
  readonly intervalMs?: number;
}

/** How a reader reads its file, for `inspect`. */
export type FileFormat =
  | { readonly kind: 'parquet'; /** How the time column is read: `TIMESTAMP WITH TIME ZONE (UTC instants)`. */ readonly time: string }
  | { readonly kind: 'text'; readonly layout: TextLayout; readonly encoding: TextEncoding; readonly compression: TextCompression };

/** How far a reader is: rows of a Parquet file, or bytes of a text file on disk. */
export interface ReadProgress {
  readonly done: number;
  readonly total: number;
  readonly unit: 'rows' | 'bytes';
}

export interface BarBatchReader {
  readonly file: string;
  readonly columns: BarColumnNames;
  readonly metadata: BarFileMetadata;
  readonly format: FileFormat;
  /** How much of the file is read (for a progress bar); absent when the reader cannot tell. */
  readonly progress?: () => ReadProgress;
  /**
   * The next batch, or null at the end. A batch stays valid only until the next call (buffers are reused).
   * Rejects with a DataError naming the file (and row, when a row is to blame).
   */
  next(): Promise<BarBatch | null>;
  /** Releases the file and any connection. Idempotent; safe while a `next()` is pending. */
  close(): void;
}

export interface BarReaderOptions {
  /** Zone of wall-clock timestamps (text without a zone, Parquet TIMESTAMP without UTC adjustment); see `zones.ts`. */
  readonly timezone?: string;
  /** Text files: the layout, when detection cannot tell it (`--format`). */
  readonly format?: FormatName;
  /** Text files: which column holds what (`--columns`). */
  readonly columns?: ColumnMap;
  /** Text files: how dates with the year last are read (`--date-order`). */
  readonly dateOrder?: DateOrder;
  /**
   * Files with a ticker column (Polygon flat files): the rows of this symbol; other tickers are skipped.
   * Without it such a file must hold one ticker.
   */
  readonly symbol?: string;
  /** Epoch ms, inclusive; readers may skip rows before it (the replay filters exactly anyway). */
  readonly from?: number;
  /** Epoch ms, exclusive. */
  readonly to?: number;
  /** Rows per batch (a reader may go over by less than one of its own chunks). */
  readonly batchRows: number;
}

export type OpenBarReader = (file: string, options: BarReaderOptions) => Promise<BarBatchReader>;

/** Mutable batch storage a reader fills and hands out as a `BarBatch`. */
export interface BarBatchBuffer {
  length: number;
  readonly rejections: RowRejection[];
  readonly rows: Float64Array;
  readonly ts: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
}

export function allocateBatch(capacity: number): BarBatchBuffer {
  return {
    length: 0,
    rejections: [],
    rows: new Float64Array(capacity),
    ts: new Float64Array(capacity),
    open: new Float64Array(capacity),
    high: new Float64Array(capacity),
    low: new Float64Array(capacity),
    close: new Float64Array(capacity),
    volume: new Float64Array(capacity),
  };
}
