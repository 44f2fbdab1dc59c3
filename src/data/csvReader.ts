import { DataError } from '../core/errors';
import { allocateBatch, type BarBatch, type BarBatchReader, type BarReaderOptions, type OpenBarReader } from './barBatch';
import { openDelimitedFile, type DelimitedFile } from './delimitedFile';
import { columnName, timeColumnName } from './layouts';
import { fillBatch, rowValues, textReaderParts } from './textFields';

/**
 * Delimited text bar files → columnar bar batches, streamed, whatever layout the file is in (see `sniff.ts`):
 * gzip, UTF-16, `;` with a decimal comma, split date and time, epoch numbers in any unit, vendor layouts.
 * Memory stays flat (the file is read in chunks) and every error names the 1-based data row and the column as
 * the file names it; a value that is not a number is quoted (`got "n/a"`).
 */
export const openCsvReader: OpenBarReader = async (file: string, options: BarReaderOptions): Promise<BarBatchReader> => {
  const opened = await openDelimitedFile({
    file,
    format: options.format,
    columns: options.columns,
    timezone: options.timezone,
    dateOrder: options.dateOrder,
  });
  if (opened.layout.records !== 'bars') {
    opened.rows.close();
    throw new DataError('a tick file, not bars', { file }, `${opened.layout.title}; pass --bar (e.g. --bar 1m) to build bars from its ticks`);
  }
  return barReader(file, opened, options);
};

/** The bar reader over a delimited file already opened (its layout holds bars). */
export function barReader(file: string, opened: DelimitedFile, options: BarReaderOptions): BarBatchReader {
  const { layout } = opened;
  const cols = layout.columns;
  const roles = ['open', 'high', 'low', 'close', 'volume'] as const;
  const values = rowValues(layout, file, roles, options.symbol);
  const batch = allocateBatch(options.batchRows);
  const target = { rows: batch.rows, ts: batch.ts, values: [batch.open, batch.high, batch.low, batch.close, batch.volume], rejections: batch.rejections };
  const parts = textReaderParts(opened, async (closed): Promise<BarBatch | null> => {
    batch.length = await fillBatch(opened.rows, values, roles, target, options.batchRows, closed);
    return batch.length > 0 ? batch : null;
  });

  return {
    file,
    columns: {
      timestamp: timeColumnName(layout),
      open: columnName(layout, cols.open as number),
      high: columnName(layout, cols.high as number),
      low: columnName(layout, cols.low as number),
      close: columnName(layout, cols.close as number),
      volume: cols.volume === undefined ? 'volume' : columnName(layout, cols.volume),
    },
    metadata: layout.fileSymbol !== undefined ? { symbol: layout.fileSymbol } : {},
    ...parts,
  };
}
