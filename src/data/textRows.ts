import type { TextChunks } from './textFile';

/**
 * Rows and fields of a delimited text file, found on bytes, so a row costs no string and no allocation. Lines
 * are found with `Buffer.indexOf` (memchr); a reader parses the fields of a line in one pass where it can and
 * asks for `split()` (every field's bounds, honouring double quotes) only when that fails. A quoted field
 * (`""` escapes a quote) cannot span lines; a quoted line is unquoted into a scratch buffer. Blank lines are
 * skipped and not counted; rows are numbered from 1, header not counted.
 */
export interface RowScanner {
  /** The bytes the current line (and, after `split()`, its fields) are in: the file's chunk, or a scratch copy. */
  bytes: Uint8Array;
  /** The current line is bytes[lineStart, lineEnd), terminator excluded. */
  lineStart: number;
  lineEnd: number;
  /** After `split()`: field i of the current row is bytes[bounds[2i], bounds[2i + 1]) (for i below `maxFields`). */
  readonly bounds: Int32Array;
  /** After `split()`: fields in the current row (may exceed `maxFields`). */
  count: number;
  /** 1-based data row of the current row. */
  row: number;
  /** Moves to the next row held in memory: false when more of the file must be read first, or at the end. */
  next(): boolean;
  /** Finds the fields of the current row (`bounds`, `count`; `bytes` may change to an unquoted copy). */
  split(): void;
  /** Reads more of the file: false at its end (after `next()` has handed out the last row). */
  more(): Promise<boolean>;
  close(): void;
}

export interface RowScannerOptions {
  readonly delimiter: number;
  /** Fields whose bounds are kept; a row may have more (the reader reports it). */
  readonly maxFields: number;
  /** The first non-blank line is a header: skipped, not counted. */
  readonly skipHeader: boolean;
  /** Bytes already read from `chunks` (the sample detection looked at), scanned first. */
  readonly initial?: Uint8Array;
}

const LF = 10;
const CR = 13;
const SPACE = 32;
const QUOTE = 34;

function bufferView(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

export function createRowScanner(chunks: TextChunks, options: RowScannerOptions): RowScanner {
  const { delimiter, maxFields } = options;
  let headerPending = options.skipHeader;
  let buf: Uint8Array = options.initial ?? new Uint8Array(0);
  // The same bytes as a Buffer, for its native indexOf; fields are read through the Uint8Array.
  let view = bufferView(buf);
  let pos = 0;
  let len = buf.length;
  let eof = false;
  let scratch = new Uint8Array(256);

  const scanner: RowScanner = {
    bytes: buf,
    lineStart: 0,
    lineEnd: 0,
    bounds: new Int32Array(2 * maxFields),
    count: 0,
    row: 0,
    next: () => {
      for (;;) {
        if (pos >= len) return false;
        let eol = view.indexOf(LF, pos);
        if (eol < 0) {
          if (!eof) return false;
          eol = len;
        }
        const start = pos;
        const end = eol > start && buf[eol - 1] === CR ? eol - 1 : eol;
        pos = eol + 1;
        if (end === start || (buf[start] <= SPACE && isBlank(buf, start, end))) continue;
        if (headerPending) {
          headerPending = false;
          continue;
        }
        scanner.row++;
        scanner.bytes = buf;
        scanner.lineStart = start;
        scanner.lineEnd = end;
        return true;
      }
    },
    split: () => {
      const b = buf;
      const start = scanner.lineStart;
      const end = scanner.lineEnd;
      const bounds = scanner.bounds;
      let f = 0;
      let fieldStart = start;
      for (let p = start; p < end; p++) {
        const c = b[p];
        if (c === delimiter) {
          if (f < maxFields) {
            bounds[2 * f] = fieldStart;
            bounds[2 * f + 1] = p;
          }
          f++;
          fieldStart = p + 1;
        } else if (c === QUOTE) {
          scanner.count = unquote(start, end);
          scanner.bytes = scratch;
          return;
        }
      }
      if (f < maxFields) {
        bounds[2 * f] = fieldStart;
        bounds[2 * f + 1] = end;
      }
      scanner.count = f + 1;
    },
    more: async () => {
      for (;;) {
        if (eof) return false;
        const chunk = await chunks.read();
        if (chunk === null) {
          eof = true;
          return pos < len;
        }
        if (chunk.length === 0) continue;
        if (pos < len) {
          const joined = new Uint8Array(len - pos + chunk.length);
          joined.set(buf.subarray(pos, len), 0);
          joined.set(chunk, len - pos);
          buf = joined;
        } else buf = chunk;
        view = bufferView(buf);
        pos = 0;
        len = buf.length;
        return true;
      }
    },
    close: () => chunks.close(),
  };

  /** Splits buf[start, end) honouring quotes into `scratch`; returns the field count. */
  const unquote = (start: number, end: number): number => {
    if (scratch.length < end - start) scratch = new Uint8Array(2 * (end - start));
    const bounds = scanner.bounds;
    let out = 0;
    let f = 0;
    let fieldStart = 0;
    let inQuotes = false;
    for (let p = start; p < end; p++) {
      const c = buf[p];
      if (inQuotes) {
        if (c === QUOTE) {
          if (p + 1 < end && buf[p + 1] === QUOTE) {
            scratch[out++] = QUOTE;
            p++;
          } else inQuotes = false;
        } else scratch[out++] = c;
      } else if (c === QUOTE) inQuotes = true;
      else if (c === delimiter) {
        if (f < maxFields) {
          bounds[2 * f] = fieldStart;
          bounds[2 * f + 1] = out;
        }
        f++;
        fieldStart = out;
      } else scratch[out++] = c;
    }
    if (f < maxFields) {
      bounds[2 * f] = fieldStart;
      bounds[2 * f + 1] = out;
    }
    return f + 1;
  };

  return scanner;
}

function isBlank(b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (b[i] > SPACE) return false;
  return true;
}

const POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => 10 ** i);

/** Field text for messages (UTF-8), spaces trimmed. */
export function fieldText(b: Uint8Array, start: number, end: number): string {
  return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('utf8').trim();
}

/**
 * A number in b[start, end) with `decimal` (`.` or `,`) as its decimal separator: NaN when empty or not a
 * number. Plain decimals of up to 15 digits are read from the bytes: the digits make an exact integer and one
 * division by an exact power of ten rounds correctly, so the result is the double `Number` gives. Anything
 * else (exponents, `NaN`, `Infinity`, long numbers) goes through `Number`.
 */
export function parseNumber(b: Uint8Array, start: number, end: number, decimal: number): number {
  while (start < end && b[start] === SPACE) start++;
  while (end > start && b[end - 1] === SPACE) end--;
  if (start === end) return Number.NaN;
  let i = start;
  const sign = b[i];
  if (sign === 45 || sign === 43) i++;
  let mantissa = 0;
  let digits = 0;
  let scale = -1;
  for (; i < end; i++) {
    const c = b[i];
    if (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digits++;
    } else if (c === decimal && scale < 0) scale = digits;
    else return slowNumber(b, start, end, decimal);
  }
  if (digits === 0) return Number.NaN;
  if (digits > 15) return slowNumber(b, start, end, decimal);
  const decimals = scale < 0 ? 0 : digits - scale;
  const value = decimals === 0 ? mantissa : mantissa / POWERS_OF_TEN[decimals];
  return sign === 45 ? -value : value;
}

function slowNumber(b: Uint8Array, start: number, end: number, decimal: number): number {
  // A short field: a string built from its bytes is cheaper than a decoder call.
  let text = '';
  for (let i = start; i < end; i++) text += String.fromCharCode(b[i]);
  if (decimal !== 46) {
    if (text.includes('.')) return Number.NaN;
    text = text.replace(String.fromCharCode(decimal), '.');
  }
  return text.length === 0 ? Number.NaN : Number(text);
}
