import { DataError } from '../core/errors';
import type { TextLayout } from './layouts';
import { detectLayout, type DetectOptions } from './sniff';
import { openTextChunks, type TextChunks } from './textFile';
import { createRowScanner, type RowScanner } from './textRows';

/**
 * A delimited text file opened for reading: its layout detected from the first lines (which are kept and
 * scanned, never read twice) and a row scanner positioned at the first data row.
 */
export interface DelimitedFile {
  readonly layout: TextLayout;
  readonly chunks: TextChunks;
  readonly rows: RowScanner;
}

/** Bytes looked at to detect the layout (or the whole file when it is smaller). */
const SAMPLE_BYTES = 64 * 1024;
/** Lines of the sample detection looks at. */
const SAMPLE_LINES = 50;

const utf8 = new TextDecoder('utf-8');

function sampleLines(bytes: Uint8Array, complete: boolean): string[] {
  const text = utf8.decode(bytes);
  const lines = text.split('\n');
  if (!complete && lines.length > 1) lines.pop(); // a partial last line
  return lines
    .map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line))
    .filter((line) => line.trim() !== '')
    .slice(0, SAMPLE_LINES);
}

function concat(parts: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export async function openDelimitedFile(options: DetectOptions): Promise<DelimitedFile> {
  const chunks = await openTextChunks(options.file);
  try {
    const parts: Uint8Array[] = [];
    let size = 0;
    let ended = false;
    while (size < SAMPLE_BYTES) {
      const chunk = await chunks.read();
      if (chunk === null) {
        ended = true;
        break;
      }
      parts.push(chunk);
      size += chunk.length;
    }
    const initial = parts.length === 1 ? parts[0] : concat(parts, size);
    const layout = detectLayout(sampleLines(initial, ended), options);
    const rows = createRowScanner(chunks, {
      delimiter: layout.delimiter.charCodeAt(0),
      maxFields: layout.fieldCount,
      skipHeader: layout.header !== undefined,
      initial,
    });
    return { layout, chunks, rows };
  } catch (e) {
    chunks.close();
    if (e instanceof Error && !(e instanceof DataError) && e.name !== 'ConfigError') {
      throw new DataError('cannot read file', { file: options.file }, e.message);
    }
    throw e;
  }
}
