import { createReadStream, type ReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { DataError } from '../core/errors';
import { allocateBatch, type BarBatch, type BarBatchReader, type BarReaderOptions, type OpenBarReader } from './barBatch';
import { resolveColumns } from './columns';
import { createTimestampParser } from './timestamps';

/**
 * CSV → columnar bar batches, streamed: a file read stream, split into lines by hand, so memory stays flat
 * and every error can name its 1-based data row (header not counted, blank lines skipped). The delimiter is
 * the most frequent of `,` `;` TAB in the header. Fields may be double-quoted (`""` escapes a quote); a
 * quoted field cannot span lines.
 */

const READ_CHUNK_BYTES = 256 * 1024;

interface LineSource {
  /** The next complete line (terminator removed) already in memory, or undefined when more must be read. */
  take(): string | undefined;
  /** Reads more of the file; false at the end (then `rest()` holds an unterminated last line, if any). */
  more(): Promise<boolean>;
  rest(): string | null;
  close(): void;
}

function lineSource(stream: ReadStream, file: string): LineSource {
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const signal = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  stream.setEncoding('utf8');
  stream.on('readable', signal);
  stream.on('end', () => {
    ended = true;
    signal();
  });
  stream.on('close', () => {
    ended = true;
    signal();
  });
  stream.on('error', (e) => {
    failure = e;
    signal();
  });

  let text = '';
  let pos = 0;

  return {
    take: () => {
      const eol = text.indexOf('\n', pos);
      if (eol < 0) return undefined;
      const end = eol > pos && text.charCodeAt(eol - 1) === 13 ? eol - 1 : eol;
      const line = text.slice(pos, end);
      pos = eol + 1;
      return line;
    },
    more: async () => {
      for (;;) {
        if (failure) throw new DataError('cannot read file', { file }, failure.message);
        const chunk = stream.read() as string | null;
        if (chunk !== null) {
          text = pos < text.length ? text.slice(pos) + chunk : chunk;
          pos = 0;
          return true;
        }
        if (ended) return false;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
    rest: () => {
      if (pos >= text.length) return null;
      const line = text.slice(pos).replace(/\r$/, '');
      text = '';
      pos = 0;
      return line;
    },
    close: () => {
      ended = true;
      stream.destroy();
      signal();
    },
  };
}

/** The next line, reading more of the file only when needed; null at the end. */
async function nextLine(lines: LineSource): Promise<string | null> {
  for (;;) {
    const line = lines.take();
    if (line !== undefined) return line;
    if (!(await lines.more())) return lines.rest();
  }
}

function detectDelimiter(header: string): string {
  let best = ',';
  let bestCount = 0;
  for (const candidate of [',', ';', '\t']) {
    const count = header.split(candidate).length - 1;
    if (count > bestCount) {
      best = candidate;
      bestCount = count;
    }
  }
  return best;
}

/** Splits one line, honouring double quotes. */
function splitQuoted(line: string, delimiter: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"') {
        if (line[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === delimiter) {
      fields.push(field);
      field = '';
    } else field += ch;
  }
  fields.push(field);
  return fields;
}

function splitLine(line: string, delimiter: string): string[] {
  return line.includes('"') ? splitQuoted(line, delimiter) : line.split(delimiter);
}

/** A price or volume field: NaN when empty or not a number (`Number('')` would say 0). */
function parseNumber(text: string): number {
  const value = Number(text);
  return value === 0 && text.trim() === '' ? Number.NaN : value;
}

export const openCsvReader: OpenBarReader = async (file: string, options: BarReaderOptions): Promise<BarBatchReader> => {
  try {
    await access(file);
  } catch (e) {
    throw new DataError('cannot open file', { file }, (e as NodeJS.ErrnoException).code ?? String(e));
  }
  const lines = lineSource(createReadStream(file, { highWaterMark: READ_CHUNK_BYTES }), file);
  let closed = false;
  try {
    let header = await nextLine(lines);
    while (header !== null && header.trim() === '') header = await nextLine(lines);
    if (header === null) throw new DataError('missing header row', { file }, 'the file is empty');
    header = header.replace(/^\uFEFF/, '');
    const delimiter = detectDelimiter(header);
    const headers = splitLine(header, delimiter).map((h) => h.trim());
    const resolved = resolveColumns(headers, file);
    const columns = {
      timestamp: resolved.timestamp.name,
      open: resolved.open.name,
      high: resolved.high.name,
      low: resolved.low.name,
      close: resolved.close.name,
      volume: resolved.volume?.name ?? 'volume',
    };
    const parseTs = createTimestampParser({ file, column: columns.timestamp, timezone: options.timezone });
    const iTs = resolved.timestamp.index;
    const iOpen = resolved.open.index;
    const iHigh = resolved.high.index;
    const iLow = resolved.low.index;
    const iClose = resolved.close.index;
    const iVolume = resolved.volume?.index ?? -1;
    const fieldCount = headers.length;

    const batch = allocateBatch(options.batchRows);
    let row = 0;

    const fill = async (): Promise<BarBatch | null> => {
      batch.length = 0;
      batch.rejections.length = 0;
      let n = 0;
      while (n < options.batchRows && !closed) {
        let line: string | null | undefined = lines.take();
        if (line === undefined) {
          line = (await lines.more()) ? lines.take() : lines.rest();
          if (line === undefined) continue;
          if (line === null) break;
        }
        if (line.trim() === '') continue;
        row++;
        const fields = splitLine(line, delimiter);
        batch.rows[n] = row;
        if (fields.length !== fieldCount) {
          batch.rejections.push({ index: n, rule: 'malformed-row', detail: `${fields.length} fields, the header has ${fieldCount}` });
          batch.ts[n] = Number.NaN;
          n++;
          continue;
        }
        const ts = parseTs(fields[iTs], row);
        if (ts !== ts) {
          batch.rejections.push({ index: n, rule: 'invalid-timestamp', field: columns.timestamp, detail: `got "${fields[iTs].trim()}"` });
        }
        batch.ts[n] = ts;
        batch.open[n] = parseNumber(fields[iOpen]);
        batch.high[n] = parseNumber(fields[iHigh]);
        batch.low[n] = parseNumber(fields[iLow]);
        batch.close[n] = parseNumber(fields[iClose]);
        batch.volume[n] = iVolume < 0 ? 0 : parseNumber(fields[iVolume]);
        n++;
      }
      batch.length = n;
      return n > 0 ? batch : null;
    };

    return {
      file,
      columns,
      metadata: {},
      next: async () => (closed ? null : fill()),
      close: () => {
        closed = true;
        lines.close();
      },
    };
  } catch (e) {
    lines.close();
    throw e;
  }
};
