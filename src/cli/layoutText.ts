import type { FileFormat } from '../data/barBatch';
import { columnName, timeColumnName, type RecordColumns, type TextLayout } from '../data/layouts';

/** How `inspect` (and replay's notes) put what a reader understood of a file into words. */

const DELIMITER_NAME: Readonly<Record<TextLayout['delimiter'], string>> = { ',': '","', ';': '";"', '\t': 'tab' };

/** A note when the zone is a convention the file cannot confirm; undefined when there is nothing to say. */
export function zoneNote(layout: TextLayout): string | undefined {
  const zone = layout.zone;
  if (zone?.assumed !== true) return undefined;
  return `${layout.title}: the file does not say its zone; times read as ${zone.spec.name}, the server time of most MetaTrader brokers (UTC+2 in US winter, UTC+3 in US summer); pass --timezone if your broker's differs`;
}

function timeLine(layout: TextLayout): string {
  const time = layout.time;
  const column = timeColumnName(layout);
  if (time.kind === 'epoch') return `${column}: epoch ${time.unit} (by ${time.unitFrom}), UTC`;
  const order = time.order === undefined ? '' : `, dates ${time.order === 'dmy' ? 'day-first' : 'month-first'}`;
  const zone = layout.zone === undefined ? 'UTC offsets written in the file' : `${layout.zone.spec.name} = ${layout.zone.spec.describe} (${layout.zone.why})`;
  return `${column}${time.kind === 'split' ? ' (date + time)' : ''}${order}: ${zone}`;
}

const ROLES: readonly (keyof RecordColumns)[] = ['open', 'high', 'low', 'close', 'volume', 'bid', 'ask', 'price', 'size'];

function columnsLine(layout: TextLayout): string {
  const columns = ROLES.filter((role) => layout.columns[role] !== undefined).map((role) => {
    const index = layout.columns[role] as number;
    const name = columnName(layout, index);
    return layout.header ? `${role}="${name}"` : `${role}=${name}`;
  });
  if (layout.symbolColumn !== undefined) columns.push(`ticker=${layout.header ? `"${columnName(layout, layout.symbolColumn)}"` : columnName(layout, layout.symbolColumn)}`);
  return columns.join(', ');
}

/** Label/value lines describing how a file is read (for `inspect`). */
export function describeFormat(format: FileFormat): (readonly [string, string])[] {
  if (format.kind === 'parquet') return [['format', 'Parquet'], ['time', format.time]];
  const { layout } = format;
  const text = [
    format.compression === 'gzip' ? 'gzip' : undefined,
    format.encoding,
    `${DELIMITER_NAME[layout.delimiter]}-separated`,
    layout.header ? 'with a header' : 'no header',
    `${layout.fieldCount} fields`,
    layout.decimal === ',' ? 'decimal comma' : undefined,
  ].filter((part): part is string => part !== undefined);
  const lines: (readonly [string, string])[] = [
    ['format', `${layout.title} (${layout.format === 'custom' ? 'columns given' : `--format ${layout.format}`}; ${layout.detectedBy})`],
    ['text', text.join(', ')],
    ['time', timeLine(layout)],
    ['columns', columnsLine(layout)],
  ];
  for (const note of layout.notes) lines.push(['note', note]);
  const warning = zoneNote(layout);
  if (warning !== undefined) lines.push(['note', warning]);
  return lines;
}
