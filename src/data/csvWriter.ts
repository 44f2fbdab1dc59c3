import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { DataError } from '../core/errors';
import { isoUtc } from '../core/time';
import type { Bar } from '../core/types';
import { BAR_RULE_TEXT, checkOhlcv } from './barRules';
import { forEachBar, type BarSource } from './dataStore';

/**
 * Bars → the canonical CSV: a header `timestamp,open,high,low,close,volume`, ISO-8601 UTC times, numbers
 * as JavaScript writes them (the shortest text that reads back to the same double), `\n` line ends. Every
 * reader of this project reads it back bar for bar. Written beside the target and renamed over it, so a
 * failed write never leaves half a file; streamed, so memory stays flat.
 */

export const CANONICAL_CSV_HEADER = 'timestamp,open,high,low,close,volume';

/** Bytes buffered before a write to the file. */
const FLUSH_BYTES = 1 << 20;

let writes = 0;

export async function writeBarsCsv(path: string, bars: BarSource): Promise<{ readonly path: string; readonly rows: number }> {
  const temporary = `${path}.${process.pid}-${++writes}.writing`;
  const fd = openSync(temporary, 'w');
  let pending = `${CANONICAL_CSV_HEADER}\n`;
  let rows = 0;
  let lastTs = Number.NEGATIVE_INFINITY;
  const add = (bar: Bar): void => {
    rows++;
    const violation = checkOhlcv(bar.open, bar.high, bar.low, bar.close, bar.volume);
    if (violation) throw new DataError(BAR_RULE_TEXT[violation.rule], { file: path, row: rows, field: violation.field }, violation.detail);
    if (!(bar.ts > lastTs)) throw new DataError(BAR_RULE_TEXT['timestamp-order'], { file: path, row: rows, field: 'timestamp' }, `${isoUtc(bar.ts)}`);
    lastTs = bar.ts;
    pending += `${isoUtc(bar.ts)},${bar.open},${bar.high},${bar.low},${bar.close},${bar.volume}\n`;
    if (pending.length >= FLUSH_BYTES) {
      writeSync(fd, pending);
      pending = '';
    }
  };
  try {
    await forEachBar(bars, add);
    writeSync(fd, pending);
    closeSync(fd);
    renameSync(temporary, path);
    return { path, rows };
  } catch (e) {
    closeSync(fd);
    rmSync(temporary, { force: true });
    throw e;
  }
}
