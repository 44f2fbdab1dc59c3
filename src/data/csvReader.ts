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

/**
 * The file as a sequence of lines, each a range [start, end) of `text` (terminator excluded): the hot loop
 * reads fields straight out of the chunk without cutting a string per line or per field.
 */
interface LineSource {
  text: string;
  start: number;
  end: number;
  /** Moves to the next complete line in memory; false when more of the file must be read first. */
  advance(): boolean;
  /** Reads more of the file; false at the end of the file. */
  more(): Promise<boolean>;
  /** At the end of the file: makes an unterminated last line current; false when there is none. */
  last(): boolean;
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

  /** Start of the unread part of `text`. */
  let pos = 0;
  const source: LineSource = {
    text: '',
    start: 0,
    end: 0,
    advance: () => {
      const text = source.text;
      const eol = text.indexOf('\n', pos);
      if (eol < 0) return false;
      source.start = pos;
      source.end = eol > pos && text.charCodeAt(eol - 1) === 13 ? eol - 1 : eol;
      pos = eol + 1;
      return true;
    },
    more: async () => {
      for (;;) {
        if (failure) throw new DataError('cannot read file', { file }, failure.message);
        const chunk = stream.read() as string | null;
        if (chunk !== null) {
          source.text = pos < source.text.length ? source.text.slice(pos) + chunk : chunk;
          pos = 0;
          return true;
        }
        if (ended) return false;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
    last: () => {
      const text = source.text;
      if (pos >= text.length) return false;
      source.start = pos;
      source.end = text.charCodeAt(text.length - 1) === 13 ? text.length - 1 : text.length;
      pos = text.length;
      return true;
    },
    close: () => {
      ended = true;
      stream.destroy();
      signal();
    },
  };
  return source;
}

/** Makes the next line current, reading more of the file when needed; false at the end. */
async function nextLine(lines: LineSource): Promise<boolean> {
  for (;;) {
    if (lines.advance()) return true;
    if (!(await lines.more())) return lines.last();
  }
}

function isBlank(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (text.charCodeAt(i) > 32) return false;
  return true;
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

const POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * A price or volume field in text[start, end): NaN when empty or not a number (`Number('')` would say 0).
 * Plain decimals of up to 15 digits are read from character codes: the digits make an exact integer and one
 * division by an exact power of ten rounds correctly, so the result is the same double `Number` gives.
 * Anything else (exponents, `NaN`, `Infinity`, long numbers) goes to `Number`.
 */
export function parseDecimal(text: string, start: number, end: number): number {
  while (start < end && text.charCodeAt(start) === 32) start++;
  while (end > start && text.charCodeAt(end - 1) === 32) end--;
  if (start === end) return Number.NaN;
  let i = start;
  const sign = text.charCodeAt(i);
  if (sign === 45 || sign === 43) i++;
  let mantissa = 0;
  let digits = 0;
  let scale = -1;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digits++;
    } else if (c === 46 && scale < 0) scale = digits;
    else return Number(text.slice(start, end));
  }
  if (digits === 0 || digits > 15) return Number(text.slice(start, end));
  const decimals = scale < 0 ? 0 : digits - scale;
  const value = decimals === 0 ? mantissa : mantissa / POWERS_OF_TEN[decimals];
  return sign === 45 ? -value : value;
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
    let found = await nextLine(lines);
    while (found && isBlank(lines.text, lines.start, lines.end)) found = await nextLine(lines);
    if (!found) throw new DataError('missing header row', { file }, 'the file is empty');
    const header = lines.text.slice(lines.start, lines.end).replace(/^\uFEFF/, '');
    const delimiter = detectDelimiter(header);
    const headers = splitQuoted(header, delimiter).map((h) => h.trim());
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
    /** Field i of the current line is text[bounds[2i], bounds[2i + 1]). */
    const bounds = new Int32Array(2 * fieldCount);

    const batch = allocateBatch(options.batchRows);
    let row = 0;
    let quotedText = '';
    let nextQuote = -1;

    /** Fields of a line with quotes, the slow way; fills `bounds` over a private copy. */
    const splitWithQuotes = (line: string): { readonly text: string; readonly count: number } => {
      const fields = splitQuoted(line, delimiter);
      let joined = '';
      for (let f = 0; f < fields.length && f < fieldCount; f++) {
        bounds[2 * f] = joined.length;
        joined += fields[f];
        bounds[2 * f + 1] = joined.length;
      }
      return { text: joined, count: fields.length };
    };

    const fill = async (): Promise<BarBatch | null> => {
      batch.length = 0;
      batch.rejections.length = 0;
      let n = 0;
      while (n < options.batchRows && !closed) {
        if (!lines.advance()) {
          if (await lines.more()) continue;
          if (!lines.last()) break;
        }
        let text = lines.text;
        const start = lines.start;
        const end = lines.end;
        if (isBlank(text, start, end)) continue;
        row++;
        batch.rows[n] = row;

        if (text !== quotedText) {
          quotedText = text;
          nextQuote = -1;
        }
        if (nextQuote !== Infinity && nextQuote < start) {
          nextQuote = text.indexOf('"', start);
          if (nextQuote < 0) nextQuote = Infinity;
        }
        let count = 0;
        if (nextQuote < end) {
          const split = splitWithQuotes(text.slice(start, end));
          text = split.text;
          count = split.count;
        } else {
          for (let at = start; ; ) {
            let stop = text.indexOf(delimiter, at);
            if (stop < 0 || stop > end) stop = end;
            if (count < fieldCount) {
              bounds[2 * count] = at;
              bounds[2 * count + 1] = stop;
            }
            count++;
            if (stop === end) break;
            at = stop + 1;
          }
        }
        if (count !== fieldCount) {
          batch.rejections.push({ index: n, rule: 'malformed-row', detail: `${count} fields, the header has ${fieldCount}` });
          batch.ts[n] = Number.NaN;
          n++;
          continue;
        }
        const ts = parseTs(text, row, bounds[2 * iTs], bounds[2 * iTs + 1]);
        if (ts !== ts) {
          const shown = text.slice(bounds[2 * iTs], bounds[2 * iTs + 1]).trim();
          batch.rejections.push({ index: n, rule: 'invalid-timestamp', field: columns.timestamp, detail: `got "${shown}"` });
        }
        batch.ts[n] = ts;
        batch.open[n] = parseDecimal(text, bounds[2 * iOpen], bounds[2 * iOpen + 1]);
        batch.high[n] = parseDecimal(text, bounds[2 * iHigh], bounds[2 * iHigh + 1]);
        batch.low[n] = parseDecimal(text, bounds[2 * iLow], bounds[2 * iLow + 1]);
        batch.close[n] = parseDecimal(text, bounds[2 * iClose], bounds[2 * iClose + 1]);
        batch.volume[n] = iVolume < 0 ? 0 : parseDecimal(text, bounds[2 * iVolume], bounds[2 * iVolume + 1]);
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
