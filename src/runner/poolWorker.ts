import type { MessagePort } from 'node:worker_threads';
import { ConfigError, DataError } from '../core/errors';
import type { ContractBook } from '../core/types';
import { withConnection } from '../data/duckdb';
import { replayFile, type ValidationReport } from '../data/replay';
import { parseInstant } from '../data/timestamps';
import { loadRunnerConfig, parseRunnerConfig, type RunnerConfig } from './config';
import type { ReplayReport } from './report/replayReport';
import { runTradeRunner } from './tradeRunner';

/**
 * One replay of the TradeRunner pool (`runPool` in `pool.ts`): reads its file itself, runs the config's
 * strategies over it and answers a structured-cloneable result. The same function runs inside a worker
 * thread (through `poolWorker.cjs`) and in-process, so a pool and a loop over jobs agree exactly.
 */

/** A replay to run: a bar file, a runner config and an optional time window. */
export interface PoolJob {
  /** Names the job in its result (results also come back in job order). */
  readonly id: string;
  /** A .parquet or .csv bar file; each job reads it itself. */
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

/** What the pool hands a worker: the job and the (already validated) contract specs. */
export interface PoolTask {
  readonly job: PoolJob;
  readonly contracts: ContractBook;
}

/** Pool → worker. A worker answers each job with `{ index, result }`. */
export type PoolWorkerMessage =
  | { readonly type: 'job'; readonly index: number; readonly task: PoolTask }
  /** No more jobs: the worker closes its port and its thread ends once pending native work is done. */
  | { readonly type: 'stop' };

function instant(value: number | string | undefined, field: 'from' | 'to', job: PoolJob, timezone: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return parseInstant(`job "${job.id}": ${field}`, value, timezone);
  if (!Number.isFinite(value)) throw new ConfigError(`${field} must be a finite epoch-ms number, got ${value}`, `job "${job.id}"`);
  return value;
}

/** The error as a plain, cloneable description (its message already names file, row, field or config). */
export function describePoolError(error: unknown): PoolJobError {
  if (error instanceof DataError) return { name: 'DataError', message: error.message };
  if (error instanceof ConfigError) return { name: 'ConfigError', message: error.message };
  return { name: 'Error', message: error instanceof Error ? error.message : String(error) };
}

/** Runs one job to its report; never rejects (a failure is an `ok: false` result). */
export async function runPoolJob(task: PoolTask): Promise<PoolResult> {
  const { job, contracts } = task;
  try {
    const config =
      typeof job.config === 'string' ? loadRunnerConfig(job.config) : parseRunnerConfig(job.config, `job "${job.id}" config`);
    const timezone = config.data?.timezone;
    let validation: ValidationReport | undefined;
    const bars$ = replayFile(job.file, {
      symbol: job.symbol,
      timezone,
      from: instant(job.from, 'from', job, timezone),
      to: instant(job.to, 'to', job, timezone),
      policy: config.data?.policy,
      onReport: (report) => (validation = report),
    });
    const { report } = await runTradeRunner({ config, contracts, bars$ }).result;
    return { id: job.id, ok: true, report, validation };
  } catch (error) {
    return { id: job.id, ok: false, error: describePoolError(error) };
  }
}

/**
 * The worker thread's loop (started by `poolWorker.cjs`): one job at a time, until told to stop.
 * DuckDB gets one thread per worker: the pool's parallelism is one replay per core, and DuckDB's own
 * threads would only compete with the other workers for the same cores.
 */
export function servePoolJobs(port: MessagePort): void {
  const ready = withConnection((connection) => connection.run('SET GLOBAL threads = 1')).catch(() => undefined);
  port.on('message', (message: PoolWorkerMessage) => {
    if (message.type === 'stop') {
      port.close();
      return;
    }
    void ready
      .then(() => runPoolJob(message.task))
      .then((result) => port.postMessage({ index: message.index, result }));
  });
}
