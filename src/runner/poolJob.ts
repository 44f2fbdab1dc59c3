import { ConfigError, DataError } from '../core/errors';
import type { ValidationReport } from '../data/replay';
import type { RunnerConfig } from './config';
import type { ReplayReport } from './report/replayReport';

/**
 * A job of the TradeRunner pool (`runPool` in `pool.ts`), its result, and a failure as a plain, cloneable
 * description (what crosses back from a worker thread; the sweep's failed configs use it too).
 */

/** A replay to run: a bar file, a runner config and an optional time window. */
export interface PoolJob {
  /** Names the job in its result (results also come back in job order). */
  readonly id: string;
  /** A .parquet or .csv bar file (read once per pool run, however many jobs name it). */
  readonly file: string;
  /** The bars' symbol; default: the file's metadata (files written by `writeBarsParquet` carry it). */
  readonly symbol?: string;
  /** A runner config (validated again here) or the path of a config file. */
  readonly config: RunnerConfig | string;
  /** First bar time, inclusive: epoch ms, or ISO-8601 text (UTC unless it names a zone, or in `data.timezone`). */
  readonly from?: number | string;
  /** End time, exclusive, as `from`. */
  readonly to?: number | string;
}

/** Why a job failed: a DataError (bad file or row), a ConfigError (bad config or job), or anything else. */
export interface PoolJobError {
  readonly name: 'DataError' | 'ConfigError' | 'Error';
  readonly message: string;
}

export type PoolResult =
  | {
      readonly id: string;
      readonly ok: true;
      /** The full replay report; only its `run` block (wall time) differs from run to run. */
      readonly report: ReplayReport;
      /** What the reader read, emitted and skipped (undefined when the replay stopped before the end). */
      readonly validation: ValidationReport | undefined;
    }
  | { readonly id: string; readonly ok: false; readonly error: PoolJobError };

/** The error as a plain, cloneable description (its message already names file, row, field or config). */
export function describePoolError(error: unknown): PoolJobError {
  if (error instanceof DataError) return { name: 'DataError', message: error.message };
  if (error instanceof ConfigError) return { name: 'ConfigError', message: error.message };
  return { name: 'Error', message: error instanceof Error ? error.message : String(error) };
}
