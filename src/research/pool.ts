import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import type { ContractBook } from '../core/types';
import type { ReplayReport } from '../runner/report/replayReport';
import { sharedBars, type BarColumns } from './dataset';
import type { ConfigOutcome, PassTask, ReplayTask, SweepWorkerData } from './sweepWorker';

/**
 * The local pool of a sweep: worker threads (piscina) sized to the cores, each started once with the decoded
 * bars — a SharedArrayBuffer, so every thread reads the same memory and nothing is copied or read again — and
 * given passes (see `runPass`) one at a time; a thread takes the next pass when it is done, so the pool stays
 * busy while passes outnumber threads.
 *
 * The engine's one pool: `runPool` (whole replays with full reports) runs on it too. Its workers never open
 * DuckDB (files are read on the main thread, once), so piscina may end a thread with `terminate()` — which
 * DuckDB finishing an asynchronous call in that thread would not survive — and that is how a Ctrl-C stops a
 * pass that is running: its thread is ended at once and the passes already done are kept.
 */
export interface PoolOptions {
  /** Threads; default `os.availableParallelism()`, never more than there are passes. */
  readonly workers?: number;
  /** Called as each pass finishes, in completion order. */
  readonly onPass?: (outcomes: readonly ConfigOutcome[], task: PassTask) => void;
  /** Aborting stops at once: running passes are dropped, the finished ones are kept. */
  readonly signal?: AbortSignal;
  /** Per pass, the share of its bars done (what the progress bar reads). */
  readonly progress?: Float64Array;
}

export interface PoolOutcome {
  /** Each task's outcomes, in task order; undefined for a pass that did not finish. */
  readonly byTask: readonly (readonly ConfigOutcome[] | undefined)[];
  /** True when the signal stopped the pool before every pass was done. */
  readonly stopped: boolean;
}

/** Runs passes somewhere (the local pool, a cluster); what a sweep and a walk-forward are given. */
export type RunPasses = (tasks: readonly PassTask[], label: string) => Promise<PoolOutcome>;

const WORKER_ENTRY = join(__dirname, 'sweepWorker.cjs');

export function defaultWorkers(): number {
  return availableParallelism();
}

/** A pool started with one dataset; passes are run on it until it is destroyed. */
export interface PassPool {
  run(tasks: readonly PassTask[], options?: Omit<PoolOptions, 'workers' | 'progress'>): Promise<PoolOutcome>;
  destroy(): Promise<void>;
}

/** The engine's one pool of worker threads: `threads` sweep workers, each started with `workerData`. */
function startWorkers<Task extends PassTask | ReplayTask, Result>(threads: number, workerData: SweepWorkerData): Piscina<Task, Result> {
  const size = Math.max(1, threads);
  return new Piscina<Task, Result>({ filename: WORKER_ENTRY, minThreads: size, maxThreads: size, idleTimeout: 60_000, workerData });
}

export function createPassPool(columns: BarColumns, contracts: ContractBook, options: { readonly workers: number; readonly progress?: Float64Array }): PassPool {
  const workerData: SweepWorkerData = {
    bars: sharedBars(columns),
    contracts,
    ...(options.progress !== undefined ? { progress: options.progress.buffer as SharedArrayBuffer } : {}),
  };
  const pool = startWorkers<PassTask, ConfigOutcome[]>(options.workers, workerData);
  return {
    async run(tasks, runOptions = {}) {
      const done = new Array<readonly ConfigOutcome[] | undefined>(tasks.length);
      let stopped = false;
      await Promise.all(
        tasks.map(async (task, i) => {
          try {
            const outcomes = await pool.run(task, { signal: runOptions.signal ?? null });
            done[i] = outcomes;
            runOptions.onPass?.(outcomes, task);
          } catch (error) {
            if (runOptions.signal?.aborted === true) {
              stopped = true;
              return;
            }
            throw error;
          }
        }),
      );
      return { byTask: done, stopped };
    },
    destroy: () => pool.destroy(),
  };
}

/** Runs the passes on a pool of their own (threads: `workers`, at most one per pass) and returns what finished. */
export async function runPasses(columns: BarColumns, contracts: ContractBook, tasks: readonly PassTask[], options: PoolOptions = {}): Promise<PoolOutcome> {
  const pool = createPassPool(columns, contracts, { workers: Math.min(options.workers ?? defaultWorkers(), tasks.length), progress: options.progress });
  try {
    return await pool.run(tasks, options);
  } finally {
    await pool.destroy();
  }
}

/** A pool that runs whole replays (`runPool`): each task brings its own bars, so one pool serves several files. */
export interface ReplayPool {
  run(task: ReplayTask): Promise<ReplayReport>;
  destroy(): Promise<void>;
}

export function createReplayPool(contracts: ContractBook, workers: number): ReplayPool {
  const pool = startWorkers<ReplayTask, ReplayReport>(workers, { contracts });
  return { run: (task) => pool.run(task), destroy: () => pool.destroy() };
}
