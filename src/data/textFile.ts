import { createReadStream, type ReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { TextDecoder } from 'node:util';
import { createGunzip, type Gunzip } from 'node:zlib';
import { DataError } from '../core/errors';

/**
 * A text file as a stream of byte chunks in an ASCII-compatible encoding (UTF-8), whatever it is stored as:
 * gzip (by extension or magic bytes) is inflated, a UTF-8 byte-order mark is dropped, UTF-16 (with its BOM,
 * as MetaTrader 5 writes) is transcoded. Readers split lines and fields on bytes, so a row costs no string.
 */

export type TextEncoding = 'UTF-8' | 'UTF-8 with BOM' | 'UTF-16LE' | 'UTF-16BE';
export type TextCompression = 'gzip' | 'none';

export interface TextChunks {
  readonly file: string;
  readonly encoding: TextEncoding;
  readonly compression: TextCompression;
  /** Size on disk. */
  readonly fileBytes: number;
  /** Bytes read from disk so far (compressed bytes for gzip): progress against `fileBytes`. */
  bytesRead(): number;
  /** The next chunk, null at the end. A chunk is not reused: a reader may keep it. */
  read(): Promise<Uint8Array | null>;
  /** Stops reading and releases the file. Idempotent. */
  close(): void;
}

const READ_CHUNK_BYTES = 256 * 1024;

async function magicBytes(file: string): Promise<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const head = new Uint8Array(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function startsWith(bytes: Uint8Array, ...prefix: number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

/** Opens `file`; a DataError names the file when it cannot be read or is an archive this reader does not open. */
export async function openTextChunks(file: string): Promise<TextChunks> {
  let head: Uint8Array;
  let fileBytes: number;
  try {
    fileBytes = (await stat(file)).size;
    head = await magicBytes(file);
  } catch (e) {
    throw new DataError('cannot open file', { file }, (e as NodeJS.ErrnoException).code ?? String(e));
  }
  if (startsWith(head, 0x50, 0x4b, 0x03, 0x04)) {
    throw new DataError('a zip archive, not a text file', { file }, 'unzip it first (HistData and Binance ship zip files holding one CSV each)');
  }
  const gzip = startsWith(head, 0x1f, 0x8b) || /\.gz$/i.test(file);
  const raw: ReadStream = createReadStream(file, { highWaterMark: READ_CHUNK_BYTES });
  let stream: ReadStream | Gunzip = raw;
  if (gzip) {
    const gunzip = createGunzip({ chunkSize: READ_CHUNK_BYTES });
    raw.on('error', (e) => gunzip.destroy(e));
    raw.pipe(gunzip);
    stream = gunzip;
  }
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let closed = false;

  const next = async (): Promise<Uint8Array | null> => {
    if (closed) return null;
    try {
      const step = await chunks.next();
      // A plain Uint8Array view, never a Buffer: the scanners' hot loops then see one array type.
      return step.done === true ? null : new Uint8Array(step.value.buffer, step.value.byteOffset, step.value.length);
    } catch (e) {
      if (closed) return null;
      const reason = e instanceof Error ? e.message : String(e);
      throw new DataError(gzip ? 'cannot inflate gzip data' : 'cannot read file', { file }, reason);
    }
  };
  const close = (): void => {
    if (closed) return;
    closed = true;
    raw.destroy();
    stream.destroy();
  };

  // The first chunk tells the encoding by its byte-order mark.
  let first: Uint8Array | null;
  try {
    first = await next();
  } catch (e) {
    close();
    throw e;
  }
  let encoding: TextEncoding = 'UTF-8';
  let decoder: TextDecoder | undefined;
  if (first !== null) {
    if (startsWith(first, 0xef, 0xbb, 0xbf)) {
      encoding = 'UTF-8 with BOM';
      first = first.subarray(3);
    } else if (startsWith(first, 0xff, 0xfe)) {
      encoding = 'UTF-16LE';
      decoder = new TextDecoder('utf-16le');
    } else if (startsWith(first, 0xfe, 0xff)) {
      encoding = 'UTF-16BE';
      decoder = new TextDecoder('utf-16be');
    }
  }
  const utf16 = decoder;
  const littleEndian = encoding === 'UTF-16LE';
  // UTF-16 text that is all ASCII (a MetaTrader export) is narrowed byte by byte, several times faster than
  // decoding and encoding it again; from the first other character on, the decoder does the rest of the file.
  let narrowing = true;
  let carry: number | undefined;
  let skipMark = true;
  const narrow = (chunk: Uint8Array): Uint8Array | undefined => {
    const joined = carry === undefined ? chunk : Buffer.concat([Uint8Array.of(carry), chunk]);
    const pairs = joined.length >> 1;
    const from = skipMark ? 1 : 0;
    const out = new Uint8Array(pairs - from);
    const lo = littleEndian ? 0 : 1;
    for (let i = from; i < pairs; i++) {
      const low = joined[2 * i + lo];
      if (joined[2 * i + 1 - lo] !== 0 || low > 127) return undefined;
      out[i - from] = low;
    }
    skipMark = false;
    carry = joined.length & 1 ? joined[joined.length - 1] : undefined;
    return out;
  };
  const transcode = (chunk: Uint8Array | null): Uint8Array | null => {
    if (utf16 === undefined) return chunk;
    if (narrowing && chunk !== null) {
      const narrowed = narrow(chunk);
      if (narrowed !== undefined) return narrowed;
      narrowing = false;
      if (carry !== undefined) chunk = Buffer.concat([Uint8Array.of(carry), chunk]);
    }
    const text = chunk === null ? utf16.decode() : utf16.decode(chunk, { stream: true });
    const bytes = Buffer.from(text, 'utf8'); // the decoder drops the byte-order mark
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  };
  let pending: Uint8Array | null | undefined = transcode(first);
  let ended = first === null;

  return {
    file,
    encoding,
    compression: gzip ? 'gzip' : 'none',
    fileBytes,
    bytesRead: () => raw.bytesRead,
    read: async () => {
      if (pending !== undefined) {
        const chunk = pending;
        pending = undefined;
        return chunk;
      }
      if (ended) return null;
      const chunk = await next();
      if (chunk === null) {
        ended = true;
        const rest = transcode(null);
        return rest !== null && rest.length > 0 ? rest : null;
      }
      return transcode(chunk);
    },
    close,
  };
}
