import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { DEFAULT_CONTRACTS_PATH, loadContracts } from '../core/contracts';
import { ConfigError } from '../core/errors';
import { formatZodError } from '../core/schemas';
import type { ContractBook } from '../core/types';
import type { ValidationReport } from '../data/replay';
import { parseInstant } from '../data/timestamps';
import { loadDataset, sharedBars, type Dataset } from '../research/dataset';
import { createReplayPool } from '../research/pool';
import { loadRunnerConfig, parseRunnerConfig, type RunnerConfig } from './config';
import { describePoolError, type PoolJob, type PoolResult } from './poolJob';

export type { PoolJob, PoolJobError, PoolResult } from './poolJob';

/**
 * A pool of TradeRunners: many replays (a parameter grid, several files) on worker threads.
 *
 * ```ts
 * const grid = [5, 10, 20].map((fast) => ({
 *   id: `sma-${fast}-50`,
 *   file: 'fixtures/usdjpy.parquet',
 *   config: { ...base, strategies: [{ id: 'sma', type: 'smaCross', symbol: 'USDJPY', fast, slow: 50, contracts: 1 }] },
 * }));
 * for (const r of await runPool(grid, { workers: 2 })) console.log(r.id, r.ok ? r.report.account.netPnl : r.error.message);
 * ```
 *
 * It runs on the sweep's pool (`src/research/pool.ts`): each distinct file (with its read options: symbol,
 * time zone, from/to, policy) is read and validated once, on this thread, into shared memory, and the worker
 * threads run the replays over those bars — so DuckDB never runs in a worker, and jobs on the same file do not
 * read it again. Results come back in job order, each the same `ReplayReport` an in-process `runTradeRunner`
 * over the same bars gives (only the `run` block, the wall time, differs). A failing job (bad file, bad row,
 * bad config) yields `{ ok: false, error }` with its DataError/ConfigError message and the other jobs run on;
 * so does a job whose worker dies (the pool replaces the thread).
 */
export interface PoolOptions {
  /** Worker threads; default `os.availableParallelism()`, never more than there are jobs. */
  readonly workers?: number;
  /** Contract specs (a contracts.json path or a loaded book); default the project's config/contracts.json. */
  readonly contracts?: string | ContractBook;
  /** Called as each job finishes (in completion order), e.g. for progress. */
  readonly onResult?: (result: PoolResult, index: number) => void;
}

const timeSchema = z.union([z.number().finite(), z.string().min(1)]);
const jobSchema = z.strictObject({
  id: z.string().min(1, 'a non-empty job id'),
  file: z.string().min(1, 'a file path'),
  symbol: z.string().min(1).optional(),
  config: z.union([z.string().min(1), z.record(z.string(), z.unknown())], 'a runner config object or the path of a config file'),
  from: timeSchema.optional(),
  to: timeSchema.optional(),
});

const optionsSchema = z.strictObject({
  workers: z.number().int('workers must be a whole number').min(1).max(256).optional(),
  contracts: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
  onResult: z.custom<PoolOptions['onResult']>((v) => typeof v === 'function', 'a function').optional(),
});

function instant(value: number | string | undefined, field: 'from' | 'to', job: PoolJob, timezone: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return parseInstant(`job "${job.id}": ${field}`, value, timezone);
  if (!Number.isFinite(value)) throw new ConfigError(`${field} must be a finite epoch-ms number, got ${value}`, `job "${job.id}"`);
  return value;
}

/** A job checked on this thread: its config parsed and the bars it reads (a file and how it is read). */
interface PlannedJob {
  readonly index: number;
  readonly config: RunnerConfig;
  readonly read: { readonly file: string; readonly symbol?: string; readonly timezone?: string; readonly from?: number; readonly to?: number; readonly policy?: NonNullable<RunnerConfig['data']>['policy'] };
}

function planJob(job: PoolJob, index: number): PlannedJob {
  const config = typeof job.config === 'string' ? loadRunnerConfig(job.config) : parseRunnerConfig(job.config, `job "${job.id}" config`);
  const timezone = config.data?.timezone;
  return {
    index,
    config,
    read: { file: job.file, symbol: job.symbol, timezone, from: instant(job.from, 'from', job, timezone), to: instant(job.to, 'to', job, timezone), policy: config.data?.policy },
  };
}

/** Runs every job and resolves with one result per job, in job order. Rejects only on bad pool options. */
export async function runPool(jobs: readonly PoolJob[], options: PoolOptions = {}): Promise<PoolResult[]> {
  const parsedOptions = optionsSchema.safeParse(options);
  if (!parsedOptions.success) throw new ConfigError(formatZodError(parsedOptions.error), 'pool options');
  const contracts: ContractBook =
    typeof options.contracts === 'object' ? options.contracts : loadContracts(options.contracts ?? DEFAULT_CONTRACTS_PATH);

  const results = new Array<PoolResult | undefined>(jobs.length);
  const settle = (index: number, result: PoolResult): void => {
    results[index] = result;
    options.onResult?.(result, index);
  };
  const fail = (index: number, error: unknown): void => settle(index, { id: jobs[index].id, ok: false, error: describePoolError(error) });
  const planned: PlannedJob[] = [];
  jobs.forEach((job, index) => {
    const parsed = jobSchema.safeParse(job);
    if (!parsed.success) {
      const id = typeof job?.id === 'string' ? job.id : `#${index}`;
      settle(index, { id, ok: false, error: { name: 'ConfigError', message: `job ${index} (${id}): ${formatZodError(parsed.error)}` } });
      return;
    }
    try {
      planned.push(planJob(job, index));
    } catch (error) {
      fail(index, error);
    }
  });
  if (planned.length === 0) return results.map((result, index) => result ?? { id: jobs[index].id, ok: false, error: { name: 'Error', message: 'not run' } });

  const pool = createReplayPool(contracts, Math.min(options.workers ?? availableParallelism(), planned.length));
  try {
    // Each distinct read once, in job order; its jobs are queued as soon as it is decoded, so the workers
    // replay one file while this thread reads the next.
    const reads = new Map<string, PlannedJob[]>();
    for (const job of planned) {
      const key = JSON.stringify(job.read);
      reads.set(key, [...(reads.get(key) ?? []), job]);
    }
    const running: Promise<void>[] = [];
    for (const group of reads.values()) {
      const { file, ...read } = group[0].read;
      let dataset: Dataset;
      try {
        dataset = await loadDataset(file, read);
      } catch (error) {
        for (const job of group) fail(job.index, error);
        continue;
      }
      const validation: ValidationReport | undefined = dataset.validation;
      const bars = sharedBars(dataset.columns);
      for (const job of group) {
        running.push(
          pool.run({ kind: 'replay', bars, config: job.config }).then(
            (report) => settle(job.index, { id: jobs[job.index].id, ok: true, report, validation }),
            (error: unknown) => fail(job.index, error),
          ),
        );
      }
    }
    await Promise.all(running);
  } finally {
    await pool.destroy();
  }
  return results.map((result, index) => result ?? { id: jobs[index].id, ok: false, error: { name: 'Error', message: 'not run' } });
}
