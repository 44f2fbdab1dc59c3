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

/** Bars kept in memory by path: for tests and dry runs. */
export function memoryHistoryStore(initial: Readonly<Record<string, readonly Bar[]>> = {}): HistoryStore & { bars(path: string): Bar[] } {
  const files = new Map<string, Map<number, Bar>>();
  for (const [path, bars] of Object.entries(initial)) files.set(path, new Map(bars.map((b) => [b.ts, b])));
  const sorted = (path: string) => [...(files.get(path)?.values() ?? [])].sort((a, b) => a.ts - b.ts);
  return {
    async coverage(path) {
      const bars = sorted(path);
      if (bars.length === 0) return undefined;
      return { symbol: bars[0].symbol, intervalMs: bars[0].intervalMs, firstTs: bars[0].ts, lastTs: bars[bars.length - 1].ts, rows: bars.length };
    },
    async append(path, bars) {
      const file = files.get(path) ?? new Map<number, Bar>();
      for (const b of bars) file.set(b.ts, b);
      files.set(path, file);
      return { rows: file.size };
    },
    bars: sorted,
  };
}
