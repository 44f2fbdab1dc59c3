import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { z } from 'zod';
import { DEFAULT_CONTRACTS_PATH, loadContracts } from '../core/contracts';
import { ConfigError } from '../core/errors';
import { formatZodError } from '../core/schemas';
import type { ContractBook } from '../core/types';
import type { PoolJob, PoolResult, PoolTask, PoolWorkerMessage } from './poolWorker';

export type { PoolJob, PoolJobError, PoolResult } from './poolWorker';

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
 * Each worker reads its job's file itself (only the job and its result cross threads), takes the next job
 * when it is done, and so the pool scales with cores while jobs outnumber workers. Results come back in job
 * order, each the same `ReplayReport` an in-process `runTradeRunner` over the same bars gives (only the
 * `run` block, the wall time, differs). A failing job (bad file, bad row, bad config) yields
 * `{ ok: false, error }` with its DataError/ConfigError message and the other jobs run on; so does a job
 * whose worker dies (a replacement worker takes the remaining jobs).
 *
 * Plain `worker_threads` rather than piscina: piscina ends its workers with `terminate()`, and terminating a
 * thread while DuckDB still finishes an asynchronous call (a reader closing its connection right after the
 * last batch) aborts the whole process (`Napi::Error` in a native callback). Here a worker is told to stop,
 * closes its port and exits on its own once DuckDB is done.
 */
export interface PoolOptions {
  /** Worker threads; default `os.availableParallelism()`, never more than there are jobs. */
  readonly workers?: number;
  /** Contract specs (a contracts.json path or a loaded book); default the project's config/contracts.json. */
  readonly contracts?: string | ContractBook;
  /** Called as each job finishes (in completion order), e.g. for progress. */
  readonly onResult?: (result: PoolResult, index: number) => void;
}

const WORKER_ENTRY = join(__dirname, 'poolWorker.cjs');

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

/** Runs every job and resolves with one result per job, in job order. Rejects only on bad pool options. */
export async function runPool(jobs: readonly PoolJob[], options: PoolOptions = {}): Promise<PoolResult[]> {
  const parsedOptions = optionsSchema.safeParse(options);
  if (!parsedOptions.success) throw new ConfigError(formatZodError(parsedOptions.error), 'pool options');
  const contracts =
    typeof options.contracts === 'object' ? options.contracts : loadContracts(options.contracts ?? DEFAULT_CONTRACTS_PATH);

  const results = new Array<PoolResult | undefined>(jobs.length);
  const settle = (index: number, result: PoolResult): void => {
    results[index] = result;
    options.onResult?.(result, index);
  };
  const queue: number[] = [];
  jobs.forEach((job, index) => {
    const parsed = jobSchema.safeParse(job);
    if (parsed.success) queue.push(index);
    else {
      const id = typeof job?.id === 'string' ? job.id : `#${index}`;
      settle(index, { id, ok: false, error: { name: 'ConfigError', message: `job ${index} (${id}): ${formatZodError(parsed.error)}` } });
    }
  });

  const workers = Math.min(options.workers ?? availableParallelism(), queue.length);
  await new Promise<void>((resolve) => {
    let running = 0;
    const start = (): void => {
      running++;
      const worker = new Worker(WORKER_ENTRY);
      let current: number | undefined;
      const next = (): void => {
        current = queue.shift();
        if (current === undefined) worker.postMessage({ type: 'stop' } satisfies PoolWorkerMessage);
        else worker.postMessage({ type: 'job', index: current, task: { job: jobs[current], contracts } satisfies PoolTask } satisfies PoolWorkerMessage);
      };
      worker.on('message', (message: { readonly index: number; readonly result: PoolResult }) => {
        if (message.index !== current) return;
        current = undefined;
        settle(message.index, message.result);
        next();
      });
      // An uncaught error ends the thread; 'exit' follows and accounts for the job it held.
      worker.on('error', (error) => {
        if (current !== undefined) {
          settle(current, { id: jobs[current].id, ok: false, error: { name: 'Error', message: `worker failed: ${error.message}` } });
          current = undefined;
        }
      });
      worker.on('exit', (code) => {
        running--;
        if (current !== undefined) {
          settle(current, { id: jobs[current].id, ok: false, error: { name: 'Error', message: `worker exited (code ${code}) during the job` } });
          current = undefined;
        }
        if (queue.length > 0) start();
        else if (running === 0) resolve();
      });
      next();
    };
    if (workers === 0) resolve();
    for (let i = 0; i < workers; i++) start();
  });
  return results.map((result, index) => result ?? { id: jobs[index].id, ok: false, error: { name: 'Error', message: 'not run' } });
}
