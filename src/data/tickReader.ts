import type { FileFormat, ReadProgress, RowRejection } from './barBatch';
import type { DelimitedFile } from './delimitedFile';
import { columnName, timeColumnName, type TextLayout } from './layouts';
import { fillBatch, rowValues, textReaderParts } from './textFields';

/**
 * Tick files (HistData, Dukascopy and TrueFX ticks; any `timestamp,bid,ask` or `timestamp,price,size`) →
 * columnar tick batches, streamed like bar files (memory flat, errors naming file, row and column).
 */

export interface TickBatch {
  /** Rows in this batch; the arrays are reused, read only `[0, length)`. */
  readonly length: number;
  readonly kind: 'quotes' | 'trades';
  /** 1-based data row in the file. */
  readonly rows: Float64Array;
  /** UTC epoch ms; NaN for a row the reader rejected (see `rejections`). */
  readonly ts: Float64Array;
  /** Bid (quotes) or price (trades). */
  readonly first: Float64Array;
  /** Ask (quotes) or size (trades; 0 when the file has no size column). */
  readonly second: Float64Array;
  readonly rejections: readonly RowRejection[];
}

/** Column names as the file writes them, for errors. */
export interface TickColumnNames {
  readonly timestamp: string;
  readonly first: string;
  readonly second: string;
}

export interface TickBatchReader {
  readonly file: string;
  readonly kind: 'quotes' | 'trades';
  readonly columns: TickColumnNames;
  readonly layout: TextLayout;
  readonly format: FileFormat;
  readonly progress: () => ReadProgress;
  /** The next batch, or null at the end; valid until the next call. */
  next(): Promise<TickBatch | null>;
  close(): void;
}

export function tickReader(file: string, opened: DelimitedFile, options: { readonly batchRows: number; readonly symbol?: string }): TickBatchReader {
  const { layout } = opened;
  const kind: 'quotes' | 'trades' = layout.records === 'trades' ? 'trades' : 'quotes';
  const roles = kind === 'quotes' ? (['bid', 'ask'] as const) : (['price', 'size'] as const);
  const values = rowValues(layout, file, roles, options.symbol);
  const capacity = options.batchRows;
  const batch = {
    length: 0,
    kind,
    rows: new Float64Array(capacity),
    ts: new Float64Array(capacity),
    first: new Float64Array(capacity),
    second: new Float64Array(capacity),
    rejections: [] as RowRejection[],
  };
  const target = { rows: batch.rows, ts: batch.ts, values: [batch.first, batch.second], rejections: batch.rejections };
  const parts = textReaderParts(opened, async (closed): Promise<TickBatch | null> => {
    batch.length = await fillBatch(opened.rows, values, roles, target, capacity, closed);
    return batch.length > 0 ? batch : null;
  });

  const name = (role: (typeof roles)[number]): string => {
    const column = layout.columns[role];
    return column === undefined ? role : columnName(layout, column);
  };
  return {
    file,
    kind,
    columns: { timestamp: timeColumnName(layout), first: name(roles[0]), second: name(roles[1]) },
    layout,
    ...parts,
  };
}
