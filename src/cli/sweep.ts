import { existsSync, statSync, writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { DEFAULT_CONTRACTS_PATH, loadContracts } from '../core/contracts';
import { ConfigError } from '../core/errors';
import type { ContractBook } from '../core/types';
import { DEFAULT_ANALYZERS, loadReplayConfig } from '../runner/config';
import { loadDataset, type Dataset } from '../research/dataset';
import { compileWhere, parseGrid } from '../research/grid';
import { checkMetric, type MetricName } from '../research/metrics';
import { runPasses, type RunPasses } from '../research/pool';
import { renderSweepPage } from '../research/sweepPage';
import {
  formatTopTable,
  gatherRows,
  passTasks,
  planSweep,
  rankRows,
  sweepCsv,
  sweepInput,
  sweepJson,
  type SweepPlan,
  type SweepRow,
} from '../research/sweep';
import type { PassTask } from '../research/sweepWorker';
import { parseSplit, parseWalkForward, runWalkForward, formatWalkForward, type WalkForwardSpec } from '../research/walkForward';
import { runOnQueue } from '../research/cluster';
import { addDataOptions, replayOptionsFrom, type DataFlags } from './dataOptions';
import {
  EXIT_DATA,
  EXIT_INTERRUPTED,
  EXIT_OK,
  PROCESS_IO,
  TERMINAL_RESTORE,
  onStopSignals,
  parseArgs,
  positiveInteger,
  reportError,
  runMain,
  startProgress,
  type CliIo,
  type Progress,
  type SignalSource,
} from './io';
import { DEFAULT_CONFIG_PATH } from './replay';

interface SweepCliOptions extends DataFlags {
  readonly config: string;
  readonly contracts: string;
  readonly grid: string[];
  readonly where?: string;
  readonly metric: string;
  readonly top: number;
  readonly workers?: number;
  readonly progress: boolean;
  readonly json?: string;
  readonly csv?: string;
  readonly html?: string;
  readonly walkForward?: string;
  readonly split?: string;
  readonly queue?: string;
}

/** How often the progress bar is redrawn, ms. */
const PROGRESS_MS = 200;

/**
 * `npm run sweep -- <file> --config cfg.json --grid sma.fast=5..50:5 --grid sma.slow=20..200:10 …`: runs every
 * point of a parameter grid over one file — read once, shared with the workers — and prints the best configs;
 * `--json`, `--csv`, `--html` write every result. `--walk-forward` / `--split` choose the best config in sample
 * and run it out of sample. `--queue redis://…` runs the configs on a cluster (`npm run worker`).
 * Exit codes: 0 ok (a config that failed is listed, not fatal), 1 data error, 2 bad arguments or config,
 * 130 interrupted (the finished results are written).
 */
export async function runSweep(argv: readonly string[], io: CliIo = PROCESS_IO, signals: SignalSource = process): Promise<number> {
  const program = addDataOptions(
    new Command('sweep')
      .description('Run a parameter grid over a bar or tick file (read once, shared by the workers) and rank the configs.')
      .argument('<file>', 'a bar or tick file: .parquet, .csv, …')
      .option('--config <path>', 'the base runner config the grid is applied to', DEFAULT_CONFIG_PATH)
      .option('--contracts <path>', 'contract specs', DEFAULT_CONTRACTS_PATH)
      .option('--grid <key=values>', 'a grid axis: <strategy id>.<field>=a..b:step or =v1,v2,… (repeat for more axes)', (value: string, all: string[]) => [...all, value], [])
      .option('--where <expression>', "keep the points where this holds, e.g. 'fast < slow' (grid keys, arithmetic, comparisons, && || !)")
      .option('--metric <name>', 'rank by: sharpe, netPnl, profitFactor, maxDD, maxDDPct, totalReturn, winRate, trades, …', 'sharpe')
      .option('--top <n>', 'configs in the table (and equity curves on the page: at most 10)', positiveInteger, 20)
      .option('--workers <n>', 'worker threads (default: the cores)', positiveInteger)
      .option('--json <path>', 'write every result as JSON')
      .option('--csv <path>', 'write every result as CSV (one line per config)')
      .option('--html <path>', 'write a page: the ranking, a heatmap for two-parameter grids, equity curves of the best')
      .option('--walk-forward <windows>', 'train=6mo,test=1mo[,step=1mo]: choose in sample, run out of sample, window after window')
      .option('--split <train/test>', 'one holdout: 70/30 = the first 70 % of the bars in sample, the rest out of sample')
      .option('--queue <url>', 'run the configs on a cluster: redis://host:6379/0 (workers: npm run worker -- --queue …)'),
    { symbol: 'symbol of the bars (default: from the file name, else the file)' },
  ).option('--no-progress', 'no progress bar on stderr');
  const stop = await parseArgs(program, argv, io);
  if (stop !== undefined) return stop;
  const file = program.args[0];
  const opts = program.opts<SweepCliOptions>();

  let progress: Progress | undefined;
  const controller = new AbortController();
  let interrupted = false;
  let cutShort: ((code: number) => void) | undefined;
  const secondSignal = new Promise<number>((resolveCode) => (cutShort = resolveCode));
  const stopListening = onStopSignals(signals, {
    first: (signal) => {
      interrupted = true;
      progress?.stop();
      io.stderr.write(`${signal}: stopping the sweep, keeping the configs already done (again to exit at once)\n`);
      controller.abort();
    },
    again: () => {
      progress?.stop();
      if (io.stderr.isTTY === true) io.stderr.write(TERMINAL_RESTORE);
      cutShort?.(EXIT_INTERRUPTED);
    },
  });
  try {
    if (opts.grid.length === 0) throw new ConfigError('give at least one --grid <strategy id>.<field>=<values>', 'sweep');
    if (opts.walkForward !== undefined && opts.split !== undefined) throw new ConfigError('--walk-forward or --split, not both', 'sweep');
    if (!existsSync(file) || !statSync(file).isFile()) throw new ConfigError(`no such file: ${file}`, 'sweep');
    const contracts = loadContracts(opts.contracts);
    const { config, liveBarMs } = loadReplayConfig(opts.config);
    const axes = parseGrid(opts.grid, config);
    const where = opts.where === undefined ? undefined : compileWhere(opts.where, axes);
    const metric = checkMetric(opts.metric, config.analyzers ?? DEFAULT_ANALYZERS);
    const windows: WalkForwardSpec | undefined =
      opts.walkForward !== undefined ? parseWalkForward(opts.walkForward) : opts.split !== undefined ? parseSplit(opts.split) : undefined;
    const plan = planSweep(config, axes, where, opts.config);
    const options = replayOptionsFrom(file, opts, contracts, config);
    const barMs = options.barMs ?? liveBarMs;
    const dataset = await loadDataset(file, { ...options, ...(barMs !== undefined ? { barMs } : {}) });
    if (dataset.columns.length === 0) throw new ConfigError(`no bars to sweep in ${file}${opts.from !== undefined || opts.to !== undefined ? ' within --from/--to' : ''}`, 'sweep');
    io.stderr.write(
      `${file}: ${dataset.columns.length.toLocaleString('en-US')} ${dataset.columns.symbol} bars read once; ${plan.points.length.toLocaleString('en-US')} configs` +
        `${plan.refused.length > 0 ? ` (${plan.refused.length} refused by the config's rules)` : ''}${opts.queue !== undefined ? `, on ${redactUrl(opts.queue)}` : ''}\n`,
    );

    const run: RunPasses = (tasks, label) => {
      const configs = tasks.reduce((n, t) => n + t.configs.length, 0);
      progress?.stop();
      progress = opts.progress ? startProgress(io, { label, total: configs, unit: 'configs' }) : undefined;
      const share = new Float64Array(new SharedArrayBuffer(Math.max(1, tasks.length) * 8));
      const timer = progress === undefined ? undefined : setInterval(() => progress?.update(tasks.reduce((n, t) => n + share[t.slot] * t.configs.length, 0)), PROGRESS_MS);
      const runner =
        opts.queue !== undefined
          ? runOnQueue(opts.queue, { dataset, options: { ...options, ...(barMs !== undefined ? { barMs } : {}) }, contracts, tasks, signal: controller.signal, onDone: (done) => progress?.update(done) })
          : runPasses(dataset.columns, contracts, tasks, {
              workers: opts.workers,
              signal: controller.signal,
              progress: share,
              onPass: (_outcomes, task) => void (share[task.slot] = 1),
            });
      return runner.finally(() => {
        if (timer !== undefined) clearInterval(timer);
        progress?.stop();
      });
    };

    const work = windows === undefined ? sweepAll(plan, run) : runWalkForward({ plan, dataset, contracts, spec: windows, metric, run });
    const outcome = await Promise.race([work, secondSignal]);
    if (typeof outcome === 'number') return outcome;

    const currency = config.account.currency;
    if (plan.refused.length > 0 || outcome.rows.some((row) => 'error' in row)) listFailures(outcome.rows, io);
    if (outcome.walkForward !== undefined) io.stdout.write(`${formatWalkForward(outcome.walkForward, currency, metric)}\n`);
    else io.stdout.write(`${formatTopTable(axes, outcome.rows, metric, opts.top, currency)}\n`);
    const ranked = rankRows(outcome.rows, metric);
    const done = outcome.walkForward === undefined ? `${ranked.length} of ${plan.points.length} configs done, ranked by ${metric}` : `${outcome.walkForward.windows.length} window(s), ${plan.configs.length} configs in sample in each`;
    io.stdout.write(`${done}${interrupted ? ' (interrupted: the figures cover what was done)' : ''}\n`);
    const complete = !interrupted && !outcome.stopped;
    const input = sweepInput(dataset);
    if (opts.json !== undefined) {
      writeFileSync(opts.json, sweepJson({ input, config, axes, where: opts.where, metric, rows: outcome.rows, planned: plan.points.length, complete, walkForward: outcome.walkForward }));
      io.stdout.write(`JSON: ${opts.json}\n`);
    }
    if (opts.csv !== undefined) {
      writeFileSync(opts.csv, sweepCsv(axes, outcome.rows));
      io.stdout.write(`CSV: ${opts.csv}\n`);
    }
    if (opts.html !== undefined && !interrupted) {
      const best = ranked.slice(0, Math.min(opts.top, 10));
      const curves = await curvesOf(best.map((row) => plan.configs.find((c) => c.index === row.index)!), dataset, contracts, opts.workers);
      writeFileSync(opts.html, renderSweepPage({ input, axes, rows: outcome.rows, metric, currency, curves, walkForward: outcome.walkForward }));
      io.stdout.write(`HTML: ${opts.html}\n`);
    }
    return interrupted ? EXIT_INTERRUPTED : outcome.rows.length > 0 && outcome.rows.every((row) => 'error' in row) ? EXIT_DATA : EXIT_OK;
  } catch (e) {
    progress?.stop();
    return reportError(e, io);
  } finally {
    stopListening();
  }
}

/** The plain sweep: every config over all the bars. */
async function sweepAll(plan: SweepPlan, run: RunPasses): Promise<{ rows: SweepRow[]; stopped: boolean; walkForward?: undefined }> {
  const { byTask, stopped } = await run(passTasks(plan.configs), 'sweep');
  return { rows: gatherRows(plan, byTask.flatMap((outcomes) => outcomes ?? [])), stopped };
}

/** The equity curves of the best configs, for the page: one pass with the curves kept. */
async function curvesOf(configs: readonly PassTask['configs'][number][], dataset: Dataset, contracts: ContractBook, workers: number | undefined) {
  if (configs.length === 0) return new Map();
  const { byTask } = await runPasses(dataset.columns, contracts, passTasks(configs, configs.length).map((task) => ({ ...task, equitySeries: true })), { workers });
  return new Map(byTask.flat().flatMap((o) => (o !== undefined && 'equity' in o && o.equity !== undefined ? [[o.index, o.equity] as const] : [])));
}

function listFailures(rows: readonly SweepRow[], io: CliIo): void {
  const failed = rows.filter((row): row is Extract<SweepRow, { error: unknown }> => 'error' in row);
  if (failed.length === 0) return;
  io.stderr.write(`${failed.length} config(s) failed:\n`);
  for (const row of failed.slice(0, 20)) io.stderr.write(`  #${row.index} ${JSON.stringify(row.params)}: ${row.error.message}\n`);
  if (failed.length > 20) io.stderr.write(`  … and ${failed.length - 20} more (all of them in --json / --csv)\n`);
}

/** A Redis URL without its password, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

export type { MetricName };

if (require.main === module) runMain(() => runSweep(process.argv.slice(2)));
