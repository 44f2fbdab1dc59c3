/**
 * One in-process measurement, run by `bench/run.ts` in a child process of its own (so each peak RSS is
 * that measurement's alone): `node --import tsx bench/measure.ts '<MeasureSpec as JSON>'`.
 * Prints one line `BENCH_RESULT {…}` (a {@link MeasureResult}) on stdout; exits non-zero on a crash.
 *
 * Inputs held in memory (ticks, bars) are made before the clock starts; the clock covers the work only.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { DuckDBDoubleVector } from '@duckdb/node-api';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { Observable } from 'rxjs';
import { barBuilder } from '../operators/barBuilder';
import { loadContracts } from '../src/core/contracts';
import type { Bar } from '../src/core/types';
import { openParquetReader } from '../src/data/parquetReader';
import { openDelimitedFile } from '../src/data/delimitedFile';
import type { BarBatchReader } from '../src/data/barBatch';
import { barReader } from '../src/data/csvReader';
import { openConnection } from '../src/data/duckdb';
import { replayFile, replayParquet, type ReplayOptions, type ValidationReport } from '../src/data/replay';
import { parseRunnerConfig, type RunnerConfig } from '../src/runner/config';
import { createSimBroker } from '../src/broker/simBroker';
import { createBook } from '../src/portfolio/book';
import { buildGraph } from '../src/runner/graph';
import { runPool, type PoolJob } from '../src/runner/pool';
import { createStrategy } from '../src/strategy/registry';
import { runTradeRunner } from '../src/runner/tradeRunner';
import { barsOf, generateBars, generateTicks } from './data';
import { prepareJournalWork, type JournalWorkload } from './journal';

export type MeasureSpec =
  | { readonly stage: 'decode'; readonly file: string }
  | { readonly stage: 'decodeColumns'; readonly file: string }
  | { readonly stage: 'barBuilder'; readonly ticks: number; readonly warmRuns: number }
  | { readonly stage: 'graph'; readonly bars: number; readonly warmRuns: number; readonly brackets?: boolean }
  | { readonly stage: 'graphCore'; readonly bars: number; readonly warmRuns: number; readonly brackets?: boolean }
  | { readonly stage: 'pool'; readonly file: string; readonly workers: number; readonly grid: number }
  | { readonly stage: 'cpuCheck'; readonly workers: number }
  | { readonly stage: 'journal'; readonly workload: JournalWorkload; readonly events: number }
  | { readonly stage: 'textDecode'; readonly file: string; readonly options: ReplayOptions }
  | { readonly stage: 'textColumns'; readonly file: string }
  | { readonly stage: 'duckdbCsv'; readonly file: string; readonly select: string };

export interface MeasureResult {
  /** Rows, ticks or bars processed. */
  readonly items: number;
  /** Wall time of the measured work. */
  readonly seconds: number;
  /** CPU time (user + system, all threads) of the measured work. */
  readonly cpuSeconds: number;
  /** Peak resident set of the whole process, input included (VmHWM). */
  readonly peakRssMb: number;
  /** What the work produced, to show it did what it says (bars out, trades, …). */
  readonly detail: string;
  /** In-memory stages: the same work run again `runs` times in the same process; the fastest run's wall time. */
  readonly warm?: { readonly runs: number; readonly seconds: number };
  /** Whole-process replays: the replay's own time (its summary line), start-up and exit excluded. */
  readonly engineSeconds?: number;
  /** Latency measurements: per operation, ms. */
  readonly latencyMs?: { readonly median: number; readonly p99: number };
}

const ROOT = join(__dirname, '..');
export const RESULT_PREFIX = 'BENCH_RESULT ';

/** The bracket of the bracketed graph figure: config/gotobi-bracket.json's. */
export const BENCH_BRACKET = { stopLossTicks: 300, takeProfitTicks: 450 } as const;

/**
 * The graph benchmark's config: the demo's two Gotobi legs, smaCross(20, 50) and position/order limits; with
 * `brackets`, every strategy protected by `BENCH_BRACKET` (smaCross is always in the market: its two protective
 * orders are checked on every bar).
 */
export function graphConfig(brackets = false): RunnerConfig {
  const demo = JSON.parse(readFileSync(join(ROOT, 'config', 'gotobi.json'), 'utf8')) as { strategies: Record<string, unknown>[] };
  const strategies = [...demo.strategies, { id: 'sma_20_50', type: 'smaCross', symbol: 'USDJPY', fast: 20, slow: 50, contracts: 1 }];
  return parseRunnerConfig({
    ...demo,
    risk: { maxPositionContracts: 5, maxOrderContracts: 2 },
    strategies: brackets ? strategies.map((s) => ({ ...s, bracket: BENCH_BRACKET })) : strategies,
  });
}

/** The pool benchmark's grid: smaCross fast × slow, `points` of them (4 × 4 for 16). */
export function poolGrid(file: string, points: number): PoolJob[] {
  const fasts = [5, 10, 20, 40];
  const slows = [60, 120, 240, 480];
  const demo = JSON.parse(readFileSync(join(ROOT, 'config', 'gotobi.json'), 'utf8')) as { account: unknown };
  const jobs: PoolJob[] = [];
  for (let i = 0; i < points; i++) {
    const fast = fasts[i % fasts.length];
    const slow = slows[Math.floor(i / fasts.length) % slows.length];
    jobs.push({
      id: `sma_${fast}_${slow}`,
      file,
      config: parseRunnerConfig({
        account: demo.account,
        strategies: [{ id: 'sma', type: 'smaCross', symbol: 'USDJPY', fast, slow, contracts: 1 }],
      }),
    });
  }
  return jobs;
}

/** A plain synchronous array source (`from(array)` minus its scheduling checks). */
function arraySource<T>(items: readonly T[]): Observable<T> {
  return new Observable<T>((subscriber) => {
    for (let i = 0; i < items.length && !subscriber.closed; i++) subscriber.next(items[i]);
    subscriber.complete();
  });
}

/** Peak resident set so far, MB: VmHWM on Linux, else the OS's maxRSS. */
export function peakRssMb(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}

/**
 * Times `work` once from cold (the figure: a fresh process, as a one-off run meets it), then `warmRuns` more
 * times in the same process (JIT-compiled, as a long-lived worker meets it) and keeps the fastest of those.
 */
async function timed(work: () => Promise<{ items: number; detail: string }>, warmRuns = 0): Promise<MeasureResult> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const { items, detail } = await work();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const result: MeasureResult = { items, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMb: peakRssMb(), detail };
  if (warmRuns === 0) return result;
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < warmRuns; i++) {
    const w0 = performance.now();
    await work();
    best = Math.min(best, (performance.now() - w0) / 1000);
  }
  return { ...result, peakRssMb: peakRssMb(), warm: { runs: warmRuns, seconds: best } };
}

function decode(file: string): Promise<{ items: number; detail: string }> {
  let bars = 0;
  let volume = 0;
  return new Promise((resolve, reject) =>
    replayParquet(file).subscribe({
      next: (bar: Bar) => {
        bars++;
        volume += bar.volume;
      },
      error: reject,
      complete: () => resolve({ items: bars, detail: `${bars} bars, volume ${volume}` }),
    }),
  );
}

/** A reader alone: columnar batches, no `Bar` objects. */
async function readColumns(reader: BarBatchReader): Promise<{ items: number; detail: string }> {
  let rows = 0;
  let close = 0;
  try {
    for (let batch = await reader.next(); batch !== null; batch = await reader.next()) {
      rows += batch.length;
      close += batch.close[batch.length - 1];
    }
  } finally {
    reader.close();
  }
  return { items: rows, detail: `${rows} rows in columnar batches (checksum ${close.toFixed(3)})` };
}

/** Any bar or tick file → Bar objects through `replayFile`; items are the file's rows (ticks, for a tick file). */
function textDecode(file: string, options: ReplayOptions): Promise<{ items: number; detail: string }> {
  let bars = 0;
  let volume = 0;
  let report: ValidationReport | undefined;
  return new Promise((resolve, reject) =>
    replayFile(file, { symbol: 'USDJPY', ...options, onReport: (r) => (report = r) }).subscribe({
      next: (bar: Bar) => {
        bars++;
        volume += bar.volume;
      },
      error: reject,
      complete: () => resolve({ items: report?.rowsRead ?? 0, detail: `${report?.rowsRead} ${report?.records} → ${bars} bars, volume ${volume}` }),
    }),
  );
}

/**
 * DuckDB's CSV reader, the alternative to the text reader: `select` over `read_csv(…)` (its sniffer, gzip,
 * threads) streamed chunk by chunk, the next chunk asked for while one is copied into columns (as the Parquet
 * reader does), every column copied as a double. No `Bar` objects: the part the text reader's own figure is
 * compared with.
 */
async function duckdbCsv(file: string, select: string): Promise<{ items: number; detail: string }> {
  const connection = await openConnection();
  try {
    const result = await connection.stream(select.replaceAll('$FILE', `'${file.replaceAll("'", "''")}'`));
    const column = new Float64Array(4096);
    let rows = 0;
    let ahead = result.fetchChunk();
    for (;;) {
      const chunk = await ahead;
      if (chunk === null || chunk.rowCount === 0) break;
      ahead = result.fetchChunk();
      for (let c = 0; c < chunk.columnCount; c++) {
        const vector = chunk.getColumnVector(c) as DuckDBDoubleVector;
        for (let i = 0; i < chunk.rowCount; i++) column[i] = vector.getItem(i) ?? Number.NaN;
      }
      rows += chunk.rowCount;
    }
    return { items: rows, detail: `${rows} rows in DuckDB chunks (${availableParallelism()} threads)` };
  } finally {
    connection.closeSync();
  }
}

/**
 * The machine's own parallel capacity: the same fixed, allocation-free integer loop on `workers` threads at
 * once. Close to `workers`× the one-thread rate means the cores are real and free; the pool cannot do better.
 */
const CPU_CHECK_LOOP = `
  const { parentPort } = require('node:worker_threads');
  let x = 0;
  for (let i = 0; i < 50_000_000; i++) x = (x * 1103515245 + 12345 + i) % 2147483647;
  parentPort.postMessage(x);
`;

function cpuCheck(workers: number): Promise<{ items: number; detail: string }> {
  return new Promise((resolve, reject) => {
    let done = 0;
    for (let i = 0; i < workers; i++) {
      const worker = new Worker(CPU_CHECK_LOOP, { eval: true });
      worker.on('error', reject);
      worker.on('message', () => {
        if (++done === workers) resolve({ items: workers * 50_000_000, detail: `${workers} thread(s) × 5e7 iterations` });
      });
    }
  });
}

async function measure(spec: MeasureSpec): Promise<MeasureResult> {
  switch (spec.stage) {
    case 'decode':
      return timed(() => decode(spec.file));
    case 'decodeColumns':
      return timed(async () => readColumns(await openParquetReader(spec.file, { batchRows: 8192 })));
    case 'barBuilder': {
      const ticks = generateTicks(spec.ticks);
      return timed(async () => {
        let bars = 0;
        let volume = 0;
        arraySource(ticks)
          .pipe(barBuilder(60_000))
          .subscribe((bar) => {
            bars++;
            volume += bar.volume;
          });
        return { items: ticks.length, detail: `${bars} bars, volume ${volume}` };
      }, spec.warmRuns);
    }
    case 'graph': {
      const bars = barsOf(generateBars(spec.bars));
      const config = graphConfig(spec.brackets);
      const contracts = loadContracts();
      return timed(async () => {
        const { report } = await runTradeRunner({ config, contracts, bars$: arraySource(bars) }).result;
        const trades = report.strategies.map((s) => `${s.id} ${s.trades.length}`).join(', ');
        return { items: report.run.bars, detail: `trades: ${trades}; equity ${report.account.finalEquity.toFixed(2)}` };
      }, spec.warmRuns);
    }
    case 'graphCore': {
      // The same graph without the runner around it: no analyzers, no report, events counted.
      const bars = barsOf(generateBars(spec.bars));
      const config = graphConfig(spec.brackets);
      const contracts = loadContracts();
      return timed(async () => {
        const book = createBook({ contracts, accountCurrency: config.account.currency, initialCash: config.account.initialCash });
        const graph = buildGraph({
          bars$: arraySource(bars),
          strategies: config.strategies.map((s) => createStrategy(s, contracts[s.symbol])),
          broker: createSimBroker({ contracts }),
          book,
          contracts,
          limits: config.risk,
        });
        let events = 0;
        await new Promise<void>((resolve, reject) => graph.events$.subscribe({ next: () => events++, error: reject, complete: resolve }));
        const exits = book.trades().filter((t) => t.exitReason === 'stop' || t.exitReason === 'takeProfit').length;
        return { items: bars.length, detail: `${events} events, ${book.trades().length} trades (${exits} by stop or take-profit)` };
      }, spec.warmRuns);
    }
    case 'cpuCheck':
      return timed(() => cpuCheck(spec.workers));
    case 'journal': {
      const work = prepareJournalWork(spec.workload, spec.events);
      let latencyMs: MeasureResult['latencyMs'];
      const result = await timed(async () => {
        const done = work();
        latencyMs = done.latencyMs;
        return done;
      });
      return latencyMs === undefined ? result : { ...result, latencyMs };
    }
    case 'textDecode':
      return timed(() => textDecode(spec.file, spec.options));
    case 'textColumns':
      return timed(async () => readColumns(barReader(spec.file, await openDelimitedFile({ file: spec.file }), { batchRows: 8192 })));
    case 'duckdbCsv':
      return timed(() => duckdbCsv(spec.file, spec.select));
    case 'pool': {
      const jobs = poolGrid(spec.file, spec.grid);
      return timed(async () => {
        const results = await runPool(jobs, { workers: spec.workers });
        let bars = 0;
        for (const result of results) {
          if (!result.ok) throw new Error(`pool job ${result.id}: ${result.error.message}`);
          bars += result.report.run.bars;
        }
        return { items: bars, detail: `${results.length} jobs on ${spec.workers} worker(s)` };
      });
    }
  }
}

if (require.main === module) {
  measure(JSON.parse(process.argv[2] ?? '{}') as MeasureSpec).then(
    (result) => {
      process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
