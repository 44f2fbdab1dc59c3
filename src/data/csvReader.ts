import { DataError } from '../core/errors';
import { allocateBatch, type BarBatch, type BarBatchReader, type BarReaderOptions, type OpenBarReader } from './barBatch';
import { openDelimitedFile, type DelimitedFile } from './delimitedFile';
import { columnName, timeColumnName } from './layouts';
import { rowValues } from './textFields';

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
export function barReader(file: string, { layout, chunks, rows }: DelimitedFile, options: BarReaderOptions): BarBatchReader {
  const cols = layout.columns;
  const values = rowValues(layout, file, ['open', 'high', 'low', 'close', 'volume'], options.symbol);
  const numbers = values.numbers;
  const hasVolume = cols.volume !== undefined;
  const batch = allocateBatch(options.batchRows);
  let closed = false;

  const fill = async (): Promise<BarBatch | null> => {
    batch.length = 0;
    batch.rejections.length = 0;
    let n = 0;
    while (n < options.batchRows && !closed) {
      if (!rows.next()) {
        if (await rows.more()) continue;
        break;
      }
      if (!values.read(rows)) continue;
      batch.rows[n] = rows.row;
      // A row with a problem keeps its time when it has one (the interval and the from/to range use it).
      batch.ts[n] = values.time;
      if (values.problem !== undefined) batch.rejections.push({ index: n, ...values.problem });
      batch.open[n] = numbers[0];
      batch.high[n] = numbers[1];
      batch.low[n] = numbers[2];
      batch.close[n] = numbers[3];
      batch.volume[n] = hasVolume ? numbers[4] : 0;
      n++;
    }
    batch.length = n;
    return n > 0 ? batch : null;
  };

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
    format: { kind: 'text', layout, encoding: chunks.encoding, compression: chunks.compression },
    progress: () => ({ done: chunks.bytesRead(), total: chunks.fileBytes, unit: 'bytes' }),
    next: async () => (closed ? null : fill()),
    close: () => {
      closed = true;
      rows.close();
    },
  };
}
