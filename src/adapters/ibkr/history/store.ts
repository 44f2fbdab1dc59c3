import { ignoreElements, lastValueFrom } from 'rxjs';
import { access } from 'node:fs/promises';
import type { Bar } from '../../../core/types';
import { writeBarsParquet } from '../../../data/dataStore';
import { replayParquet } from '../../../data/replay';
import type { ValidationReport } from '../../../data/validation';

/** What the history fetcher needs from the place it writes to. */
export interface HistoryStore {
  /** What the output already holds, or undefined when it does not exist yet. */
  coverage(path: string): Promise<StoredCoverage | undefined>;
  /** Adds bars, replacing any already stored at the same time; resolves with the rows stored after the write. */
  append(path: string, bars: readonly Bar[]): Promise<{ readonly rows: number }>;
}

export interface StoredCoverage {
  readonly symbol: string;
  readonly intervalMs: number | undefined;
  readonly firstTs: number;
  readonly lastTs: number;
  readonly rows: number;
}

/** The project's DataStore: Parquet written by `writeBarsParquet` (append dedupes by time), read by `replayParquet`. */
export const parquetHistoryStore: HistoryStore = {
  async coverage(path) {
    try {
      await access(path);
    } catch {
      return undefined;
    }
    let report: ValidationReport | undefined;
    await lastValueFrom(replayParquet(path, { onReport: (r) => (report = r) }).pipe(ignoreElements()), { defaultValue: undefined });
    if (!report || report.firstTs === undefined || report.lastTs === undefined) return undefined;
    return { symbol: report.symbol, intervalMs: report.intervalMs, firstTs: report.firstTs, lastTs: report.lastTs, rows: report.rowsEmitted };
  },
  async append(path, bars) {
    const result = await writeBarsParquet(path, bars, { append: true });
    return { rows: result.rows };
  },
};
