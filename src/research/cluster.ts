import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents, Worker, type Job, type RedisOptions } from 'bullmq';
import { ConfigError } from '../core/errors';
import type { ContractBook } from '../core/types';
import { sha256OfFile } from '../data/fileHash';
import type { ReplayOptions } from '../data/replay';
import { loadDataset, type Dataset } from './dataset';
import { passKey, type SweepConfig } from './pass';
import { createPassPool, type PassPool, type PoolOutcome } from './pool';
import { DEFAULT_PASS_SIZE } from './sweep';
import type { ConfigOutcome, PassTask } from './sweepWorker';

/**
 * Sweeps on a cluster, through BullMQ on Redis.
 *
 * The sweep (`npm run sweep -- … --queue redis://host:6379/0`) puts every config on the queue as a job of its
 * own, with what a worker needs to run it: the config, the contracts, the bar range, and the data file by path
 * (a path every worker can read: a shared disk, or the same file copied to each machine) with its SHA-256 and
 * the replay options it was read with. Workers (`npm run worker -- --queue …`, any number, on any machine) read
 * the file once per sweep — and refuse a job whose file has another hash, so a stale copy never gives silent
 * wrong figures — batch the jobs they hold into passes (`runPass`: a config's figures do not depend on which
 * configs share its pass) and run them on their local pool. The sweep gathers the results by config, once each,
 * into the same outputs as the local pool: the JSON is byte-identical.
 *
 * Failures: a job whose worker dies is found stalled once its lock expires (`lockMs`) and runs again on
 * another worker; a result that arrives twice (a worker that was only slow) counts once. A job that fails
 * (its config throws in the engine, a worker with another file) is tried `ATTEMPTS` times, then listed as
 * failed with its error; the sweep goes on.
 */

/** The queue every sweep and worker meet on. */
export const QUEUE_NAME = 'rx-sweep';

/** Tries of a job before it counts as failed (a worker with another file refuses it once). */
export const ATTEMPTS = 3;

/** What one job carries. */
export interface SweepJob {
  readonly sweepId: string;
  readonly slot: number;
  readonly config: SweepConfig;
  readonly range?: PassTask['range'];
  readonly equitySeries?: boolean;
  readonly contracts: ContractBook;
  readonly data: DataRef;
}

/** The data file as the workers must find it. */
export interface DataRef {
  readonly path: string;
  readonly sha256: string;
  readonly options: ReplayOptions;
}

/** `redis://[user:password@]host:port/db` as connection options. */
export function redisOptions(url: string): RedisOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`"${url}" is not a URL such as redis://127.0.0.1:6379/0`, '--queue');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new ConfigError(`"${url}": a redis:// or rediss:// URL`, '--queue');
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw new ConfigError(`"${url}": the database is a number (redis://host:6379/0)`, '--queue');
  return {
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port === '' ? 6379 : Number(parsed.port),
    db: db === '' ? 0 : Number(db),
    ...(parsed.username !== '' ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password !== '' ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    // BullMQ's blocking commands wait for jobs: they must not time out as ordinary requests do.
    maxRetriesPerRequest: null,
  };
}

export interface QueueRunOptions {
  readonly dataset: Dataset;
  /** The replay options the dataset was read with (the workers read the file the same way). */
  readonly options: ReplayOptions;
  readonly contracts: ContractBook;
  readonly tasks: readonly PassTask[];
  readonly signal?: AbortSignal;
  /** Configs done so far (progress). */
  readonly onDone?: (done: number) => void;
}

/** The sweep's side: every config of the tasks as a job; resolves when each has a result or has failed for good. */
export async function runOnQueue(url: string, run: QueueRunOptions): Promise<PoolOutcome> {
  const connection = redisOptions(url);
  const sweepId = randomUUID();
  const queue = new Queue<SweepJob>(QUEUE_NAME, { connection });
  const events = new QueueEvents(QUEUE_NAME, { connection });
  const data: DataRef = { path: run.dataset.source.path, sha256: run.dataset.source.sha256, options: run.options };
  const jobs = run.tasks.flatMap((task) =>
    task.configs.map((config) => ({
      name: `${sweepId}:${task.slot}:${config.index}`,
      data: { sweepId, slot: task.slot, config, contracts: run.contracts, data, ...(task.range !== undefined ? { range: task.range } : {}), ...(task.equitySeries === true ? { equitySeries: true } : {}) },
    })),
  );
  const results = new Map<string, ConfigOutcome>();
  try {
    await events.waitUntilReady();
    let settle: (() => void) | undefined;
    const finished = new Promise<void>((resolve) => (settle = resolve));
    const record = (jobName: string, outcome: ConfigOutcome): void => {
      if (results.has(jobName)) return; // a job run twice (a worker that was only slow) counts once
      results.set(jobName, outcome);
      run.onDone?.(results.size);
      if (results.size === jobs.length) settle?.();
    };
    const ids = new Map<string, string>(); // job id → job name
    const collect = async (jobId: string): Promise<void> => {
      const name = ids.get(jobId);
      if (name === undefined || results.has(name)) return;
      const job = await queue.getJob(jobId);
      if (job === undefined) return;
      const state = await job.getState();
      if (state === 'completed') record(name, job.returnvalue as ConfigOutcome);
      else if (state === 'failed') record(name, { index: job.data.config.index, error: { name: 'Error', message: job.failedReason ?? 'failed' } });
    };
    events.on('completed', ({ jobId }) => void collect(jobId));
    events.on('failed', ({ jobId }) => void collect(jobId));
    const added = await queue.addBulk(
      jobs.map((job) => ({ ...job, opts: { attempts: ATTEMPTS, backoff: { type: 'fixed', delay: 200 }, removeOnComplete: { age: 3600 }, removeOnFail: { age: 24 * 3600 } } })),
    );
    for (const job of added) if (job.id !== undefined) ids.set(job.id, job.name);
    // Jobs that finished before the ids were known (fast workers) are picked up here.
    await Promise.all(added.map((job) => (job.id === undefined ? undefined : collect(job.id))));
    const aborted = new Promise<void>((resolve) => {
      if (run.signal?.aborted === true) resolve();
      run.signal?.addEventListener('abort', () => resolve(), { once: true });
    });
    await Promise.race([finished, aborted]);
    if (results.size < jobs.length) {
      // Stopped: the jobs not started yet are taken off the queue; running ones finish and are ignored.
      await Promise.all(added.map((job) => (results.has(job.name) ? undefined : job.remove().catch(() => undefined))));
    }
  } finally {
    await events.close();
    await queue.close();
  }
  // Only whole tasks count, as with the local pool.
  const byTask = run.tasks.map((task) => {
    const outcomes = task.configs.map((config) => results.get(`${sweepId}:${task.slot}:${config.index}`));
    return outcomes.every((o): o is ConfigOutcome => o !== undefined) ? outcomes : undefined;
  });
  return { byTask, stopped: results.size < jobs.length };
}

export interface WorkerOptions {
  /** Local threads; default the cores. */
  readonly threads?: number;
  /** How long a job's lock lasts without renewal: a dead worker's jobs run elsewhere after it. */
  readonly lockMs?: number;
  /** Told what happens (job batches, refusals). */
  readonly log?: (line: string) => void;
}

export interface ClusterWorker {
  /** Stops taking jobs and waits for the running ones. */
  close(): Promise<void>;
}

/**
 * The worker's side (`npm run worker`): takes jobs, reads each sweep's file once (checking its hash), runs the
 * jobs it holds in passes on its local pool and hands back each config's outcome.
 */
export function startClusterWorker(url: string, options: WorkerOptions = {}): ClusterWorker {
  const connection = redisOptions(url);
  const threads = Math.max(1, options.threads ?? 1);
  const log = options.log ?? ((): void => undefined);
  // Per file (and contracts): the dataset, read once and checked, and a pool of threads started with it.
  const pools = new Map<string, Promise<PassPool>>();
  const poolOf = (job: SweepJob): Promise<PassPool> => {
    const key = JSON.stringify([job.data, job.contracts]);
    let starting = pools.get(key);
    if (starting === undefined) {
      starting = (async () => {
        // The hash first: a file that is not the sweep's is refused before anything is read from it.
        const { sha256 } = await sha256OfFile(job.data.path);
        if (sha256 !== job.data.sha256) throw new Error(`refused: this worker's ${job.data.path} has SHA-256 ${sha256}, the sweep's file has ${job.data.sha256}`);
        const dataset = await loadDataset(job.data.path, job.data.options);
        if (dataset.source.sha256 !== job.data.sha256) throw new Error(`refused: ${job.data.path} changed while it was read`);
        log(`read ${job.data.path} once: ${dataset.columns.length} bars, SHA-256 ${job.data.sha256.slice(0, 12)}…`);
        return createPassPool(dataset.columns, job.contracts, { workers: threads });
      })();
      pools.set(key, starting);
      // A long-lived worker serves many sweeps: keep the two latest files' pools.
      if (pools.size > 2) {
        const [oldest, dropped] = pools.entries().next().value as [string, Promise<PassPool>];
        pools.delete(oldest);
        void dropped.then((pool) => pool.destroy()).catch(() => undefined);
      }
    }
    return starting;
  };

  // Jobs wait here a moment so the ones that arrive together run in one pass.
  interface Waiting {
    readonly job: SweepJob;
    resolve(outcome: ConfigOutcome): void;
    reject(error: unknown): void;
  }
  let waiting: Waiting[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    timer = undefined;
    const batch = waiting;
    waiting = [];
    const groups = new Map<string, Waiting[]>();
    for (const item of batch) {
      const { job } = item;
      const key = JSON.stringify([job.sweepId, job.data, job.range ?? null, job.equitySeries === true, passKey(job.config.config)]);
      groups.set(key, [...(groups.get(key) ?? []), item]);
    }
    for (const group of groups.values()) void runGroup(group);
  };
  const runGroup = async (group: Waiting[]): Promise<void> => {
    const { job } = group[0];
    try {
      const pool = await poolOf(job);
      const configs = group.map((w) => w.job.config);
      const tasks: PassTask[] = [];
      for (let i = 0; i < configs.length; i += DEFAULT_PASS_SIZE) {
        tasks.push({ slot: tasks.length, configs: configs.slice(i, i + DEFAULT_PASS_SIZE), ...(job.range !== undefined ? { range: job.range } : {}), ...(job.equitySeries === true ? { equitySeries: true } : {}) });
      }
      log(`running ${configs.length} config(s) of sweep ${job.sweepId.slice(0, 8)} in ${tasks.length} pass(es)`);
      const { byTask } = await pool.run(tasks);
      const outcomes = new Map(byTask.flat().flatMap((o) => (o === undefined ? [] : [[o.index, o] as const])));
      for (const w of group) {
        const outcome = outcomes.get(w.job.config.index);
        if (outcome === undefined) w.reject(new Error('the pass did not finish'));
        else if ('error' in outcome) w.reject(new Error(outcome.error.message));
        else w.resolve(outcome);
      }
    } catch (error) {
      log(error instanceof Error ? error.message : String(error));
      for (const w of group) w.reject(error);
    }
  };

  const worker = new Worker<SweepJob, ConfigOutcome>(
    QUEUE_NAME,
    (job: Job<SweepJob>) =>
      new Promise<ConfigOutcome>((resolve, reject) => {
        waiting.push({ job: job.data, resolve, reject });
        timer ??= setTimeout(flush, 50);
      }),
    {
      connection,
      concurrency: threads * DEFAULT_PASS_SIZE,
      lockDuration: options.lockMs ?? 30_000,
      stalledInterval: Math.max(500, Math.floor((options.lockMs ?? 30_000) / 2)),
    },
  );
  worker.on('error', (error) => log(`queue: ${error.message}`));
  return {
    close: async () => {
      await worker.close();
      await Promise.all([...pools.values()].map((starting) => starting.then((pool) => pool.destroy()).catch(() => undefined)));
    },
  };
}
