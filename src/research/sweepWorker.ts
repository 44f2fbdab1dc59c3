import type { ContractBook } from '../core/types';
import type { RunnerConfig } from '../runner/config';
import { describePoolError, type PoolJobError } from '../runner/poolJob';
import type { ReplayReport } from '../runner/report/replayReport';
import { runTradeRunner } from '../runner/tradeRunner';
import { barsOf, columnsOf, type BarColumns, type SharedBars } from './dataset';
import { runPass, type ConfigResult, type SweepConfig } from './pass';

/**
 * What a sweep worker runs: one pass (see `runPass`) over the dataset it was started with. The same function
 * runs in a worker thread of the local pool (`pool.ts`), in a cluster worker (`cluster.ts`) and in-process.
 */

/**
 * What every worker of a pool is started with: the contracts, and for a sweep the decoded bars (shared memory)
 * its passes run over.
 */
export interface SweepWorkerData {
  readonly bars?: SharedBars;
  readonly contracts: ContractBook;
  /** One double per pass: the share of its bars done, written by the worker that runs it (progress bar). */
  readonly progress?: SharedArrayBuffer;
}

export interface PassTask {
  /** The pass's slot in the progress buffer. */
  readonly slot: number;
  readonly configs: readonly SweepConfig[];
  readonly range?: { readonly start: number; readonly end: number };
  readonly equitySeries?: boolean;
}

/** A config the engine refused or that failed while it ran: its error, as a replay would print it. */
export interface ConfigFailure {
  readonly index: number;
  readonly error: PoolJobError;
}

export type ConfigOutcome = ConfigResult | ConfigFailure;

export function isFailure(outcome: ConfigOutcome): outcome is ConfigFailure {
  return 'error' in outcome;
}

/**
 * Runs a pass; when it fails (a strategy throws, a config the engine refuses), runs its configs one by one so
 * the one to blame gets the error and the others their figures.
 */
export async function runPassTask(task: PassTask, columns: BarColumns, contracts: ContractBook, progress?: Float64Array): Promise<ConfigOutcome[]> {
  const onProgress = progress === undefined ? undefined : (share: number): void => void (progress[task.slot] = share);
  const base = { columns, contracts, range: task.range, equitySeries: task.equitySeries, onProgress };
  try {
    return await runPass({ ...base, configs: task.configs });
  } catch (error) {
    if (task.configs.length === 1) return [{ index: task.configs[0].index, error: describePoolError(error) }];
  }
  const outcomes: ConfigOutcome[] = [];
  for (const config of task.configs) {
    try {
      outcomes.push(...(await runPass({ ...base, configs: [config] })));
    } catch (error) {
      outcomes.push({ index: config.index, error: describePoolError(error) });
    }
  }
  return outcomes;
}

/**
 * One whole replay (`runPool`): a config over bars a task carries itself (shared memory, so a pool can serve
 * several files), answered with the full report.
 */
export interface ReplayTask {
  readonly kind: 'replay';
  readonly bars: SharedBars;
  readonly config: RunnerConfig;
}

/** The full report of a replay task, as `runTradeRunner` gives it in-process over the same bars. */
export async function runReplayTask(task: ReplayTask, contracts: ContractBook): Promise<ReplayReport> {
  return (await runTradeRunner({ config: task.config, contracts, bars$: barsOf(columnsFor(task.bars)) }).result).report;
}

let columns: BarColumns | undefined;
let progress: Float64Array | undefined;

/** The columns over shared bars, kept while tasks keep coming with the same buffer. */
function columnsFor(bars: SharedBars): BarColumns {
  if (columns?.buffer !== bars.buffer) columns = columnsOf(bars);
  return columns;
}

/** The worker thread's task function (piscina calls it with each task; `workerData` is the pool's). */
export function serveTask(task: PassTask | ReplayTask, data: SweepWorkerData): Promise<ConfigOutcome[] | ReplayReport> {
  if ('kind' in task) return runReplayTask(task, data.contracts);
  if (data.bars === undefined) throw new Error('a pass needs a pool started with its bars');
  if (data.progress !== undefined && progress?.buffer !== data.progress) progress = new Float64Array(data.progress);
  return runPassTask(task, columnsFor(data.bars), data.contracts, progress);
}
