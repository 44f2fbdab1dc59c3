/**
 * `npm run bench [-- --only graph,decode --quick --rounds 5 --profile]`: the performance figures of issue 4,
 * each measured in a child process of its own (throughput and that process's peak RSS), repeated, printed as
 * a table beside its target and written to bench/results/latest.json. See bench/README.md.
 *
 * Timing never fails the run: the exit code is non-zero only when a measurement crashes.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { EXIT_DATA, EXIT_OK, PROCESS_IO, parseArgs, positiveInteger, runMain } from '../src/cli/io';
import { startLocalRedis } from '../src/research/localRedis';
import { build } from 'esbuild';
import { DATA_DIR, ensureBarFile, ensureTextFile, type TextFileKind } from './data';
import type { JournalWorkload } from './journal';
import { RESULT_PREFIX, type MeasureResult, type MeasureSpec } from './measure';

const ROOT = join(__dirname, '..');
const RESULTS_DIR = join(__dirname, 'results');
const STAGES = ['decode', 'csv', 'barBuilder', 'graph', 'replay', 'pool', 'journal', 'sweep'] as const;
type Stage = (typeof STAGES)[number];

interface Sizes {
  readonly decodeRows: readonly number[];
  readonly ticks: number;
  readonly graphBars: number;
  readonly replayRows: number;
  readonly memoryRows: number;
  readonly poolRows: number;
  readonly poolGrid: number;
  /** CSV decode: canonical and vendor layouts; the memory check; bars behind the tick file (four ticks each). */
  readonly textRows: number;
  readonly textMemoryRows: number;
  readonly tickBars: number;
  /** In-memory stages: extra runs in the same process for the warm figure. */
  readonly warmRuns: number;
  /** Journal: events batched, events journaled live (two fsyncs per 7), intents timed one by one, fills rebuilt. */
  readonly journal: { readonly batched: number; readonly live: number; readonly intents: number; readonly fills: number };
}

const FULL: Sizes = {
  decodeRows: [1_000_000, 10_000_000],
  ticks: 10_000_000,
  graphBars: 1_000_000,
  replayRows: 1_000_000,
  memoryRows: 10_000_000,
  poolRows: 1_000_000,
  poolGrid: 16,
  textRows: 1_000_000,
  textMemoryRows: 5_000_000,
  tickBars: 1_000_000,
  warmRuns: 4,
  journal: { batched: 700_000, live: 14_000, intents: 2_000, fills: 100_000 },
};
const QUICK: Sizes = {
  decodeRows: [200_000],
  ticks: 1_000_000,
  graphBars: 200_000,
  replayRows: 200_000,
  memoryRows: 1_000_000,
  poolRows: 200_000,
  poolGrid: 4,
  textRows: 200_000,
  textMemoryRows: 1_000_000,
  tickBars: 250_000,
  warmRuns: 2,
  journal: { batched: 140_000, live: 3_500, intents: 500, fills: 20_000 },
};

/** A figure's target: a minimum throughput, a maximum peak RSS, or a minimum speed-up. */
type Target =
  | { readonly kind: 'rate'; readonly min: number }
  | { readonly kind: 'rss'; readonly maxMb: number }
  | { readonly kind: 'speedup'; readonly min: number }
  | { readonly kind: 'ratio'; readonly max: number };

interface Figure {
  readonly id: string;
  readonly stage: Stage;
  readonly label: string;
  readonly unit: string;
  /** Items per run (rows, ticks, bars). */
  readonly size: number;
  readonly runs: readonly MeasureResult[];
  /** Throughput of the fastest and of the median run (items/s; for a speed-up, the ratio). */
  readonly best: number;
  readonly median: number;
  readonly bestSeconds: number;
  readonly medianSeconds: number;
  /** Highest peak RSS over the runs. */
  readonly peakRssMb: number;
  /** CPU time over wall time of the fastest run: cores the measured process kept busy (cold runs only). */
  readonly cores?: number;
  readonly target?: Target;
  readonly met?: boolean;
  readonly note?: string;
  /** Load average (1 min) before and after the figure's runs. */
  readonly load: readonly [number, number];
}

interface Options {
  readonly only: readonly Stage[];
  readonly quick: boolean;
  readonly rounds: number;
  readonly profile: boolean;
  readonly json: string;
}

/** The options, or the exit code when the command stops at its arguments (help: 0, bad usage: 2). */
async function parseOptions(argv: readonly string[]): Promise<Options | number> {
  const program = new Command('bench')
    .description('Throughput and peak-RSS benchmarks (issue 4). Data is generated once into .bench-data/.')
    .option('--only <stages>', `comma-separated subset of ${STAGES.join(',')}`, (value: string) => {
      const names = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
      for (const name of names) {
        if (!(STAGES as readonly string[]).includes(name)) throw new InvalidArgumentError(`unknown stage "${name}"; stages: ${STAGES.join(', ')}`);
      }
      return names as Stage[];
    })
    .option('--quick', 'smaller sizes (200k bars, 1M ticks, 4-point grid): a smoke run, not the figures', false)
    .option('--rounds <n>', 'runs of each measurement (default 3, quick 1); best and median are reported', positiveInteger)
    .option('--profile', 'write a .cpuprofile of every measured process to bench/results/profiles/', false)
    .option('--json <path>', 'where to write the results', join(RESULTS_DIR, 'latest.json'));
  const stop = await parseArgs(program, argv, PROCESS_IO);
  if (stop !== undefined) return stop;
  const opts = program.opts<{ only?: Stage[]; quick: boolean; rounds?: number; profile: boolean; json: string }>();
  return {
    only: opts.only ?? [...STAGES],
    quick: opts.quick,
    rounds: opts.rounds ?? (opts.quick ? 1 : 3),
    profile: opts.profile,
    json: opts.json,
  };
}

interface ProcessRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

function runProcess(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, seconds: (performance.now() - t0) / 1000 }));
  });
}

function profileArgs(options: Options): string[] {
  return options.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(RESULTS_DIR, 'profiles')}`] : [];
}

/** One in-process measurement in a fresh `node --import tsx bench/measure.ts` child. */
async function measureInChild(spec: MeasureSpec, options: Options): Promise<MeasureResult> {
  const run = await runProcess(process.execPath, [...profileArgs(options), '--import', 'tsx', join(__dirname, 'measure.ts'), JSON.stringify(spec)]);
  const line = run.stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
  if (run.code !== 0 || line === undefined) {
    throw new Error(`${spec.stage} measurement failed (exit ${run.code}):\n${run.stderr.trim()}`);
  }
  return JSON.parse(line.slice(RESULT_PREFIX.length)) as MeasureResult;
}

/**
 * The alternative to `tsx` measured beside it: the replay CLI bundled by esbuild into one CommonJS file
 * (packages stay in node_modules), run by plain `node`. Built into .bench-data/dist/ (two levels below the
 * root, like src/cli/, so the CLI's default config paths still resolve).
 */
async function buildReplayBundle(): Promise<string> {
  const outfile = join(DATA_DIR, 'dist', 'replay.cjs');
  await build({
    entryPoints: [join(ROOT, 'src', 'cli', 'replay.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: `node${process.versions.node}`,
    packages: 'external',
    logLevel: 'error',
  });
  return outfile;
}

/**
 * `npm run replay -- <args>` (or `node <bundle> <args>`) as a whole process: wall time from spawn to exit,
 * and the peak RSS and total CPU of its processes.
 */
async function measureReplayProcess(args: readonly string[], options: Options, bundle?: string): Promise<MeasureResult> {
  const rssFile = join(RESULTS_DIR, `rss-${process.pid}.txt`);
  rmSync(rssFile, { force: true });
  const nodeOptions = [process.env.NODE_OPTIONS ?? '', `--require ${join(__dirname, 'rssProbe.cjs')}`, ...profileArgs(options)].join(' ').trim();
  const npm = process.env.npm_execpath;
  const [command, npmArgs] = npm !== undefined && npm.endsWith('.js') ? [process.execPath, [npm]] : ['npm', []];
  const [program, programArgs] = bundle === undefined ? [command, [...npmArgs, 'run', '--silent', 'replay', '--', ...args]] : [process.execPath, [bundle, ...args]];
  const run = await runProcess(program, programArgs, {
    ...process.env,
    NODE_OPTIONS: nodeOptions,
    BENCH_RSS_FILE: rssFile,
  });
  if (run.code !== 0) throw new Error(`${bundle ?? 'npm run replay'} -- ${args.join(' ')} failed (exit ${run.code}):\n${run.stderr.trim()}`);
  const { peakKb, cpuMs } = readProbe(rssFile);
  // "187,172 bars in 0.463 s · 404,166 bars/s": the replay's own figure, start-up excluded.
  const summary = /([\d,]+) bars in ([\d.]+) s/.exec(run.stdout);
  const bars = summary ? Number(summary[1].replaceAll(',', '')) : 0;
  const engineSeconds = summary ? Number(summary[2]) : undefined;
  return {
    items: bars,
    seconds: run.seconds,
    cpuSeconds: cpuMs / 1000,
    peakRssMb: peakKb / 1024,
    detail: engineSeconds !== undefined ? `replay itself ${engineSeconds} s, start-up and exit ${(run.seconds - engineSeconds).toFixed(2)} s` : run.stdout.trim().split('\n').pop() ?? '',
    engineSeconds,
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function repeat(rounds: number, once: () => Promise<MeasureResult>): Promise<{ runs: MeasureResult[]; load: [number, number] }> {
  const before = loadavg()[0];
  const runs: MeasureResult[] = [];
  for (let i = 0; i < rounds; i++) runs.push(await once());
  return { runs, load: [before, loadavg()[0]] };
}

/** A figure from repeated runs; `secondsOf` picks the time of a run (default the cold one). */
function rateFigure(
  base: { id: string; stage: Stage; label: string; unit: string; target?: Target; note?: string },
  measured: { runs: MeasureResult[]; load: [number, number] },
  secondsOf?: (run: MeasureResult) => number,
): Figure {
  const { runs } = measured;
  const fastest = runs.reduce((best, r) => (r.seconds < best.seconds ? r : best));
  const cores = secondsOf === undefined && fastest.cpuSeconds > 0 ? fastest.cpuSeconds / fastest.seconds : undefined;
  secondsOf ??= (run) => run.seconds;
  const seconds = runs.map(secondsOf);
  const rates = runs.map((r, i) => r.items / seconds[i]);
  const best = Math.max(...rates);
  const peakRssMb = Math.max(...runs.map((r) => r.peakRssMb));
  const met =
    base.target === undefined ? undefined : base.target.kind === 'rate' ? best >= base.target.min : base.target.kind === 'rss' ? peakRssMb < base.target.maxMb : undefined;
  return {
    ...base,
    size: runs[0].items,
    runs,
    best,
    median: median(rates),
    bestSeconds: Math.min(...seconds),
    medianSeconds: median(seconds),
    peakRssMb,
    cores,
    met,
    load: measured.load,
  };
}

/** How much slower `slow` is than `fast` (its time over theirs), against a maximum. */
function ratioFigure(id: string, label: string, slow: Figure, fast: Figure, max: number): Figure {
  const best = slow.bestSeconds / fast.bestSeconds;
  return {
    id,
    stage: slow.stage,
    label,
    unit: '×',
    size: 0,
    runs: [],
    best,
    median: slow.medianSeconds / fast.medianSeconds,
    bestSeconds: slow.bestSeconds,
    medianSeconds: slow.medianSeconds,
    peakRssMb: slow.peakRssMb,
    target: { kind: 'ratio', max },
    met: best <= max,
    load: [fast.load[0], slow.load[1]],
  };
}

function compact(n: number): string {
  if (n >= 1e6) return `${+(n / 1e6).toFixed(n % 1e6 === 0 ? 0 : 1)}M`;
  if (n >= 1e3) return `${+(n / 1e3).toFixed(0)}k`;
  return String(n);
}

function rate(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${(n / 1e3).toFixed(0)}k`;
}

function formatValue(figure: Figure, value: number): string {
  if (figure.unit === '×') return `${value.toFixed(2)}×`;
  if (figure.unit === 's') return `${value.toFixed(2)} s`;
  if (figure.unit === 'ms') return `${value.toFixed(3)} ms`;
  if (figure.unit === 'configs/s') return `${value.toFixed(2)} configs/s`;
  return `${rate(value)} ${figure.unit}`;
}

function formatTarget(target: Target | undefined, unit: string): string {
  if (target === undefined) return '';
  switch (target.kind) {
    case 'rate':
      return unit === 'configs/s' ? `≥ ${target.min} ${unit}` : `≥ ${rate(target.min)} ${unit}`;
    case 'rss':
      return `RSS < ${target.maxMb} MB`;
    case 'speedup':
      return `≥ ${target.min.toFixed(2)}×`;
    case 'ratio':
      return `≤ ${target.max.toFixed(2)}×`;
  }
}

function coresUsed(f: Figure): string {
  return f.cores === undefined ? '' : f.cores.toFixed(2);
}

export function formatTable(figures: readonly Figure[]): string {
  const header = ['figure', 'size', 'best', 'median', 'wall (best)', 'cores', 'peak RSS', 'target', 'met'];
  const rows = figures.map((f) => [
    f.label,
    f.unit === '×' || f.unit === 's' || f.unit === 'ms' ? '' : compact(f.size),
    formatValue(f, f.best),
    formatValue(f, f.median),
    `${f.bestSeconds.toFixed(2)} s`,
    coresUsed(f),
    `${Math.round(f.peakRssMb)} MB`,
    formatTarget(f.target, f.unit),
    f.met === undefined ? '' : f.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** DuckDB's CSV reader on the canonical layout: explicit column types, and its own sniffer. */
const DUCKDB_TYPED = `SELECT epoch_ms(timestamp)::DOUBLE, open, high, low, close, volume FROM read_csv($FILE, header = true,
  columns = {'timestamp': 'TIMESTAMPTZ', 'open': 'DOUBLE', 'high': 'DOUBLE', 'low': 'DOUBLE', 'close': 'DOUBLE', 'volume': 'DOUBLE'})`;
const DUCKDB_SNIFFED = 'SELECT epoch_ms(timestamp)::DOUBLE, open::DOUBLE, high::DOUBLE, low::DOUBLE, close::DOUBLE, volume::DOUBLE FROM read_csv($FILE)';
/** …and on a vendor layout (MetaTrader 4: date and time in two columns, no header). */
const DUCKDB_MT4 = `SELECT epoch_ms(strptime(d || ' ' || t, '%Y.%m.%d %H:%M'))::DOUBLE, o, h, l, c, v FROM read_csv($FILE, header = false,
  columns = {'d': 'VARCHAR', 't': 'VARCHAR', 'o': 'DOUBLE', 'h': 'DOUBLE', 'l': 'DOUBLE', 'c': 'DOUBLE', 'v': 'DOUBLE'})`;

/** The vendor layouts measured beside the canonical CSV, with the flags their files need. */
const VENDOR_FIGURES: readonly (readonly [TextFileKind, string])[] = [
  ['canonical-gz', 'canonical CSV, gzipped (.csv.gz)'],
  ['histdata', 'HistData ASCII M1 (";", EST)'],
  ['dukascopy', 'Dukascopy (dd.mm.yyyy, raw double volumes)'],
  ['mt4', 'MetaTrader 4 (date, time columns; NY+7)'],
  ['mt5', 'MetaTrader 5 (UTF-16LE, tabs; NY+7)'],
  ['binance', 'Binance klines (12 columns, epoch ms)'],
  ['tradingview', 'TradingView (unix seconds, extra column)'],
  ['polygon', 'Polygon flat file (gzip, ns, ticker column)'],
];

/** The CSV figures: canonical decode (text reader and DuckDB's), vendor layouts, ticks → bars, memory. */
async function measureCsv(
  sizes: Sizes,
  options: Options,
  figures: Figure[],
  attempt: (name: string, work: () => Promise<void>) => Promise<void>,
  generated: (path: string, ms: number) => void,
  log: (s: string) => void,
): Promise<void> {
  const file = async (kind: TextFileKind, rows: number): Promise<string> => {
    const made = await ensureTextFile(kind, rows);
    if (made.generatedMs !== undefined) {
      generated(made.path, made.generatedMs);
      log(`generated ${made.path} in ${(made.generatedMs / 1000).toFixed(1)} s`);
    }
    return made.path;
  };
  const rounds = options.rounds;
  const n = sizes.textRows;
  const canonical = await file('canonical', n);
  let canonicalBest = 0;
  await attempt('csv canonical', async () => {
    const figure = rateFigure(
      { id: 'csv', stage: 'csv', label: `CSV decode → Bar objects, canonical layout, ${compact(n)} rows`, unit: 'rows/s', target: { kind: 'rate', min: 1.5e6 } },
      await repeat(rounds, () => measureInChild({ stage: 'textDecode', file: canonical, options: {} }, options)),
    );
    canonicalBest = figure.best;
    figures.push(figure);
  });
  await attempt('csv reader', async () => {
    figures.push(
      rateFigure(
        { id: 'csv-columns', stage: 'csv', label: '  (text reader alone: columnar batches)', unit: 'rows/s' },
        await repeat(rounds, () => measureInChild({ stage: 'textColumns', file: canonical }, options)),
      ),
    );
  });
  for (const [id, label, select, path] of [
    ['duckdb-csv', '  alternative: DuckDB read_csv, column types given → columns', DUCKDB_TYPED, canonical],
    ['duckdb-csv-sniffed', '  alternative: DuckDB read_csv, its sniffer → columns', DUCKDB_SNIFFED, canonical],
    ['duckdb-csv-mt4', '  alternative: DuckDB read_csv on MetaTrader 4 (strptime) → columns', DUCKDB_MT4, await file('mt4', n)],
  ] as const) {
    await attempt(id, async () => {
      figures.push(rateFigure({ id, stage: 'csv', label, unit: 'rows/s' }, await repeat(rounds, () => measureInChild({ stage: 'duckdbCsv', file: path, select }, options))));
    });
  }
  for (const [kind, label] of VENDOR_FIGURES) {
    const path = await file(kind, n);
    await attempt(`csv ${kind}`, async () => {
      figures.push(
        rateFigure(
          { id: `csv-${kind}`, stage: 'csv', label: `  ${label}`, unit: 'rows/s', ...(canonicalBest > 0 ? { target: { kind: 'rate', min: canonicalBest / 1.5 } as const } : {}) },
          await repeat(rounds, () => measureInChild({ stage: 'textDecode', file: path, options: {} }, options)),
        ),
      );
    });
  }
  const ticks = await file('histdata-tick', sizes.tickBars);
  await attempt('csv ticks', async () => {
    figures.push(
      rateFigure(
        { id: 'csv-ticks', stage: 'csv', label: 'HistData tick CSV → barBuilder → 1-minute bars', unit: 'ticks/s', target: { kind: 'rate', min: 5e6 } },
        await repeat(rounds, () => measureInChild({ stage: 'textDecode', file: ticks, options: {} }, options)),
      ),
    );
  });
  const big = await file('canonical', sizes.textMemoryRows);
  await attempt('csv memory', async () => {
    figures.push(
      rateFigure(
        { id: 'csv-memory', stage: 'csv', label: `CSV decode → Bar objects, canonical, ${compact(sizes.textMemoryRows)} rows (memory flat)`, unit: 'rows/s', target: { kind: 'rss', maxMb: 250 } },
        await repeat(rounds, () => measureInChild({ stage: 'textDecode', file: big, options: {} }, options)),
      ),
    );
  });
}

/** The sweep benchmark's grid: smaCross fast 5..50 × slow 60..240, 100 configs (the quick run: 4 × 4). */
function sweepArgs(file: string, quick: boolean): string[] {
  const config = join(DATA_DIR, 'sweep-sma.json');
  writeFileSync(config, JSON.stringify({ account: { currency: 'USD', initialCash: 1_000_000 }, strategies: [{ id: 'sma', type: 'smaCross', symbol: 'USDJPY', fast: 20, slow: 60 }] }));
  return [file, '--config', config, '--no-progress', '--grid', quick ? 'sma.fast=5..20:5' : 'sma.fast=5..50:5', '--grid', quick ? 'sma.slow=60..240:60' : 'sma.slow=60..240:20'];
}

/** Reads what `rssProbe.cjs` wrote for a process tree: the largest peak RSS (kB) and the total CPU (ms). */
function readProbe(rssFile: string): { peakKb: number; cpuMs: number } {
  let peakKb = 0;
  let cpuMs = 0;
  try {
    for (const line of readFileSync(rssFile, 'utf8').split('\n')) {
      const [, kb, ms] = line.split(' ').map(Number);
      if (kb > peakKb) peakKb = kb;
      if (ms > 0) cpuMs += ms;
    }
  } finally {
    rmSync(rssFile, { force: true });
  }
  return { peakKb, cpuMs };
}

/**
 * `npm run sweep` as a whole process (compiled entry point): configs / wall time, file read included, with the
 * CPU time of all its threads (cores = CPU / wall: how much of the machine the sweep got).
 */
async function measureSweepProcess(args: readonly string[]): Promise<MeasureResult> {
  const rssFile = join(RESULTS_DIR, `rss-sweep-${process.pid}.txt`);
  rmSync(rssFile, { force: true });
  const nodeOptions = [process.env.NODE_OPTIONS ?? '', `--require ${join(__dirname, 'rssProbe.cjs')}`].join(' ').trim();
  const run = await runProcess(process.execPath, [join(ROOT, 'scripts', 'launch.cjs'), 'src/cli/sweep.ts', ...args], { ...process.env, NODE_OPTIONS: nodeOptions, BENCH_RSS_FILE: rssFile });
  const { peakKb, cpuMs } = readProbe(rssFile);
  if (run.code !== 0) throw new Error(`npm run sweep failed (exit ${run.code}):\n${run.stderr.trim()}`);
  const done = /(\d+) of (\d+) configs done/.exec(run.stdout);
  return { items: done === null ? 0 : Number(done[1]), seconds: run.seconds, cpuSeconds: cpuMs / 1000, peakRssMb: peakKb / 1024, detail: run.stdout.trim().split('\n').pop() ?? '' };
}

/**
 * Sweeps: the local pool on 1 and on every core, and 2 local workers over Redis beside the local pool.
 *
 * The rounds are interleaved (1 worker, all workers, the machine check on 1 thread, on all threads; again), so
 * a change in the machine's load hits both sides of the speed-up alike; and the machine check's own speed-up,
 * measured in the same rounds, says what the cores gave at the time: on a VM shared with other jobs the pool
 * cannot scale further than an allocation-free loop does.
 */
async function measureSweeps(file: string, options: Options, figures: Figure[], attempt: (name: string, work: () => Promise<void>) => Promise<void>): Promise<void> {
  const cores = availableParallelism();
  const args = sweepArgs(file, options.quick);
  const figure = (measured: { runs: MeasureResult[]; load: [number, number] }, label: string, target?: Target): Figure =>
    rateFigure({ id: `sweep-${label}`, stage: 'sweep', label, unit: 'configs/s', ...(target !== undefined ? { target } : {}) }, measured);
  let all: Figure | undefined;
  await attempt('sweep 1 and all workers', async () => {
    const runs = { one: [] as MeasureResult[], all: [] as MeasureResult[], checkOne: [] as MeasureResult[], checkAll: [] as MeasureResult[] };
    const before = loadavg()[0];
    for (let round = 0; round < options.rounds; round++) {
      runs.one.push(await measureSweepProcess([...args, '--workers', '1']));
      runs.all.push(await measureSweepProcess([...args, '--workers', String(cores)]));
      runs.checkOne.push(await measureInChild({ stage: 'cpuCheck', workers: 1 }, options));
      runs.checkAll.push(await measureInChild({ stage: 'cpuCheck', workers: cores }, options));
    }
    const load: [number, number] = [before, loadavg()[0]];
    const one = figure({ runs: runs.one, load }, 'npm run sweep: 100-config SMA grid on 1M bars, 1 worker');
    all = figure({ runs: runs.all, load }, `npm run sweep: the same grid, ${cores} workers`, { kind: 'rate', min: 15 });
    figures.push(one, all);
    const speedup = all.best / one.best;
    figures.push({ ...all, id: 'sweep-speedup', label: `sweep speed-up, ${cores} workers vs 1`, unit: '×', size: 0, best: speedup, median: all.median / one.median, target: { kind: 'speedup', min: 0.9 * cores }, met: speedup >= 0.9 * cores });
    const checkOne = rateFigure({ id: 'sweep-cpu-1', stage: 'sweep', label: '  machine check in the same rounds: allocation-free loop, 1 thread', unit: 'it/s' }, { runs: runs.checkOne, load });
    const checkAll = rateFigure({ id: `sweep-cpu-${cores}`, stage: 'sweep', label: `  machine check in the same rounds: ${cores} threads`, unit: 'it/s' }, { runs: runs.checkAll, load });
    figures.push(checkOne, checkAll, { ...checkAll, id: 'sweep-cpu-speedup', label: `  the machine's own speed-up then, ${cores} threads vs 1`, unit: '×', size: 0, best: checkAll.best / checkOne.best, median: checkAll.median / checkOne.median });
  });
  await attempt('sweep over redis', async () => {
    const redis = await startLocalRedis();
    const workers = Array.from({ length: 2 }, () => spawn(process.execPath, [join(ROOT, 'scripts', 'launch.cjs'), 'src/cli/worker.ts', '--queue', redis.url, '--threads', '1'], { cwd: ROOT, stdio: 'ignore' }));
    try {
      // The CPU of the worker processes is not the sweep process's: no cores figure for this one.
      const measured = await repeat(options.rounds, async () => ({ ...(await measureSweepProcess([...args, '--queue', redis.url])), cpuSeconds: 0 }));
      const remote = figure(measured, 'npm run sweep --queue: 2 local workers (1 thread each) over Redis');
      figures.push(remote);
      if (all !== undefined) {
        const ratio = all.bestSeconds / remote.bestSeconds;
        figures.push({ ...remote, id: 'sweep-redis-ratio', label: '  Redis vs the local pool (time of the local pool / time over Redis)', unit: '×', size: 0, best: ratio, median: all.medianSeconds / remote.medianSeconds, target: { kind: 'speedup', min: 1 / 1.2 }, met: ratio >= 1 / 1.2 });
      }
    } finally {
      for (const worker of workers) worker.kill('SIGTERM');
      await redis.stop();
    }
  });
}

async function main(): Promise<number> {
  const options = await parseOptions(process.argv.slice(2));
  if (typeof options === 'number') return options;
  const sizes = options.quick ? QUICK : FULL;
  const cores = availableParallelism();
  mkdirSync(RESULTS_DIR, { recursive: true });
  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  log(`bench: ${options.only.join(', ')}${options.quick ? ' (quick)' : ''}, ${options.rounds} round(s), ${cores} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  const wanted = new Set(options.only);
  const rows = new Set<number>();
  if (wanted.has('decode')) sizes.decodeRows.forEach((r) => rows.add(r));
  if (wanted.has('replay')) [sizes.replayRows, sizes.memoryRows].forEach((r) => rows.add(r));
  if (wanted.has('pool') || wanted.has('sweep')) rows.add(sizes.poolRows);
  if (wanted.has('journal')) rows.add(sizes.replayRows);
  const files = new Map<number, string>();
  const generated: Record<string, number> = {};
  for (const n of [...rows].sort((a, b) => a - b)) {
    const { path, generatedMs } = await ensureBarFile(n);
    if (generatedMs !== undefined) {
      generated[path] = generatedMs;
      log(`generated ${path} (${compact(n)} bars) in ${(generatedMs / 1000).toFixed(1)} s`);
    }
    files.set(n, path);
  }

  const figures: Figure[] = [];
  const failures: string[] = [];
  const attempt = async (name: string, work: () => Promise<void>): Promise<void> => {
    log(`… ${name}`);
    try {
      await work();
      const last = figures[figures.length - 1];
      if (last !== undefined) log(`  ${last.label}: best ${formatValue(last, last.best)}, median ${formatValue(last, last.median)}, peak RSS ${Math.round(last.peakRssMb)} MB`);
    } catch (error) {
      failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      log(`  FAILED: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const rounds = options.rounds;

  if (wanted.has('decode')) {
    for (const n of sizes.decodeRows) {
      const file = files.get(n)!;
      await attempt(`decode ${compact(n)}`, async () => {
        figures.push(
          rateFigure(
            { id: `decode-${n}`, stage: 'decode', label: `Parquet decode → Bar objects, ${compact(n)} rows`, unit: 'rows/s', target: { kind: 'rate', min: 2e6 } },
            await repeat(rounds, () => measureInChild({ stage: 'decode', file }, options)),
          ),
        );
      });
      await attempt(`decode columns ${compact(n)}`, async () => {
        figures.push(
          rateFigure(
            { id: `decode-columns-${n}`, stage: 'decode', label: `  (reader alone: columnar batches, ${compact(n)} rows)`, unit: 'rows/s' },
            await repeat(rounds, () => measureInChild({ stage: 'decodeColumns', file }, options)),
          ),
        );
      });
    }
  }
  if (wanted.has('csv')) await measureCsv(sizes, options, figures, attempt, (path, ms) => (generated[path] = ms), log);
  const warmSeconds = (run: MeasureResult): number => run.warm?.seconds ?? run.seconds;
  if (wanted.has('barBuilder')) {
    await attempt('barBuilder', async () => {
      const measured = await repeat(rounds, () => measureInChild({ stage: 'barBuilder', ticks: sizes.ticks, warmRuns: sizes.warmRuns }, options));
      const base = { stage: 'barBuilder' as const, unit: 'ticks/s', target: { kind: 'rate', min: 10e6 } as const };
      figures.push(rateFigure({ ...base, id: 'barBuilder', label: 'barBuilder: quote ticks → 1-minute bars (cold)' }, measured));
      figures.push(rateFigure({ ...base, id: 'barBuilder-warm', label: `  (warm: best of ${sizes.warmRuns} more runs in the process)` }, measured, warmSeconds));
    });
  }
  if (wanted.has('graph')) {
    await attempt('graph', async () => {
      const measured = await repeat(rounds, () => measureInChild({ stage: 'graph', bars: sizes.graphBars, warmRuns: sizes.warmRuns }, options));
      const base = { stage: 'graph' as const, unit: 'bars/s', target: { kind: 'rate', min: 3e6 } as const };
      figures.push(
        rateFigure({ ...base, id: 'graph', label: 'graph alone: 2 gotobi + smaCross(20,50) → riskGate → route(SimBroker) → markToMarket → report (cold)' }, measured),
      );
      figures.push(rateFigure({ ...base, id: 'graph-warm', label: `  (warm: best of ${sizes.warmRuns} more runs in the process)` }, measured, warmSeconds));
      const core = await repeat(rounds, () => measureInChild({ stage: 'graphCore', bars: sizes.graphBars, warmRuns: sizes.warmRuns }, options));
      figures.push(rateFigure({ stage: 'graph', unit: 'bars/s', id: 'graph-core', label: '  (buildGraph alone: no runner analyzers, no report; cold)' }, core));
      figures.push(rateFigure({ stage: 'graph', unit: 'bars/s', id: 'graph-core-warm', label: '  (buildGraph alone; warm)' }, core, warmSeconds));
      // The same with a bracket on every strategy: its cost must stay within 1.3× of the plain graph.
      const bracketed = await repeat(rounds, () => measureInChild({ stage: 'graph', bars: sizes.graphBars, warmRuns: sizes.warmRuns, brackets: true }, options));
      const withBrackets = rateFigure({ stage: 'graph', unit: 'bars/s', id: 'graph-brackets', label: 'graph with a bracket (300/450 ticks) on every strategy (cold)' }, bracketed);
      const withBracketsWarm = rateFigure({ stage: 'graph', unit: 'bars/s', id: 'graph-brackets-warm', label: '  (warm)' }, bracketed, warmSeconds);
      figures.push(withBrackets, withBracketsWarm);
      const plainWarm = figures.find((f) => f.id === 'graph-warm');
      if (plainWarm !== undefined) figures.push(ratioFigure('graph-brackets-ratio', 'graph with brackets / without (warm time)', withBracketsWarm, plainWarm, 1.3));
      const bracketedCore = await repeat(rounds, () => measureInChild({ stage: 'graphCore', bars: sizes.graphBars, warmRuns: sizes.warmRuns, brackets: true }, options));
      const coreWithBrackets = rateFigure({ stage: 'graph', unit: 'bars/s', id: 'graph-core-brackets-warm', label: '  (buildGraph alone with brackets; warm)' }, bracketedCore, warmSeconds);
      figures.push(coreWithBrackets);
      const coreWarm = figures.find((f) => f.id === 'graph-core-warm');
      if (coreWarm !== undefined) figures.push(ratioFigure('graph-core-brackets-ratio', '  (buildGraph alone: with brackets / without, warm time)', coreWithBrackets, coreWarm, 1.3));
    });
  }
  if (wanted.has('replay')) {
    const file = files.get(sizes.replayRows)!;
    const memoryFile = files.get(sizes.memoryRows)!;
    const engine = (run: MeasureResult): number => run.engineSeconds ?? run.seconds;
    await attempt('replay', async () => {
      const measured = await repeat(rounds, () => measureReplayProcess([file, '--no-progress'], options));
      figures.push(
        rateFigure(
          { id: 'replay', stage: 'replay', label: `npm run replay (demo config), whole process, ${compact(sizes.replayRows)} bars`, unit: 'bars/s', target: { kind: 'rate', min: 1e6 } },
          measured,
        ),
      );
      figures.push(rateFigure({ id: 'replay-engine', stage: 'replay', label: '  (the replay\'s own figure: start-up and exit excluded)', unit: 'bars/s' }, measured, engine));
    });
    await attempt('replay memory', async () => {
      const measured = await repeat(rounds, () => measureReplayProcess([memoryFile, '--no-progress'], options));
      figures.push(
        rateFigure(
          { id: 'replay-memory', stage: 'replay', label: `npm run replay (demo config), whole process, ${compact(sizes.memoryRows)} bars`, unit: 'bars/s', target: { kind: 'rss', maxMb: 250 } },
          measured,
        ),
      );
      figures.push(rateFigure({ id: 'replay-memory-engine', stage: 'replay', label: '  (the replay\'s own figure: start-up and exit excluded)', unit: 'bars/s' }, measured, engine));
    });
    await attempt('replay bundle', async () => {
      const bundle = await buildReplayBundle();
      const measured = await repeat(rounds, () => measureReplayProcess([file, '--no-progress'], options, bundle));
      figures.push(
        rateFigure(
          {
            id: 'replay-bundle',
            stage: 'replay',
            label: `alternative: node <esbuild bundle of the replay CLI>, whole process, ${compact(sizes.replayRows)} bars`,
            unit: 'bars/s',
            target: { kind: 'rate', min: 1e6 },
          },
          measured,
        ),
      );
    });
    await attempt('replay start-up', async () => {
      const measured = await repeat(rounds, () => measureReplayProcess(['--help'], options));
      const seconds = measured.runs.map((r) => r.seconds);
      figures.push({
        id: 'replay-startup',
        stage: 'replay',
        label: 'npm run replay -- --help: start-up and exit alone',
        unit: 's',
        size: 0,
        runs: measured.runs,
        best: Math.min(...seconds),
        median: median(seconds),
        bestSeconds: Math.min(...seconds),
        medianSeconds: median(seconds),
        peakRssMb: Math.max(...measured.runs.map((r) => r.peakRssMb)),
        load: measured.load,
      });
    });
  }
  if (wanted.has('pool')) {
    const file = files.get(sizes.poolRows)!;
    const poolFigure = (workers: number): Promise<Figure> =>
      repeat(rounds, () => measureInChild({ stage: 'pool', file, workers, grid: sizes.poolGrid }, options)).then((measured) =>
        rateFigure(
          {
            id: `pool-${workers}`,
            stage: 'pool',
            label: `pool: ${sizes.poolGrid}-point smaCross grid on ${compact(sizes.poolRows)} bars, ${workers} worker${workers === 1 ? '' : 's'}`,
            unit: 'bars/s',
          },
          measured,
        ),
      );
    await attempt('cpu check', async () => {
      const check = (workers: number): Promise<{ runs: MeasureResult[]; load: [number, number] }> =>
        repeat(rounds, () => measureInChild({ stage: 'cpuCheck', workers }, options));
      const one = rateFigure({ id: 'cpu-1', stage: 'pool', label: 'machine check: allocation-free loop, 1 thread', unit: 'it/s' }, await check(1));
      figures.push(one);
      if (cores > 1) {
        const all = rateFigure({ id: `cpu-${cores}`, stage: 'pool', label: `machine check: the same loop on ${cores} threads at once`, unit: 'it/s' }, await check(cores));
        figures.push(all);
      }
    });
    await attempt('pool', async () => {
      const one = await poolFigure(1);
      figures.push(one);
      if (cores > 1) {
        const all = await poolFigure(cores);
        figures.push(all);
        const target = 0.85 * cores;
        figures.push({
          id: 'pool-speedup',
          stage: 'pool',
          label: `pool speed-up, ${cores} workers vs 1`,
          unit: '×',
          size: 0,
          runs: [],
          best: one.bestSeconds / all.bestSeconds,
          median: one.medianSeconds / all.medianSeconds,
          bestSeconds: all.bestSeconds,
          medianSeconds: all.medianSeconds,
          peakRssMb: all.peakRssMb,
          target: { kind: 'speedup', min: target },
          met: one.bestSeconds / all.bestSeconds >= target,
          note: `target 1.7× on 2 cores (85 % efficiency), scaled to ${cores} cores`,
          load: [one.load[0], all.load[1]],
        });
      }
    });
  }

  if (wanted.has('journal')) {
    const journalRun = (workload: JournalWorkload, events: number) => repeat(rounds, () => measureInChild({ stage: 'journal', workload, events }, options));
    await attempt('journal batched', async () => {
      figures.push(
        rateFigure(
          {
            id: 'journal-batched',
            stage: 'journal',
            label: 'journal: order cycles (signal, accepted, intent, submitted, fill, filled, trade), batches of 1000, WAL, synchronous=FULL',
            unit: 'events/s',
            target: { kind: 'rate', min: 20_000 },
          },
          await journalRun('batched', sizes.journal.batched),
        ),
      );
    });
    await attempt('journal live', async () => {
      figures.push(
        rateFigure(
          { id: 'journal-live', stage: 'journal', label: '  (live: each intent and fill committed and fsynced before it returns, the rest batched)', unit: 'events/s' },
          await journalRun('live', sizes.journal.live),
        ),
      );
    });
    await attempt('journal intent latency', async () => {
      const measured = await journalRun('intentLatency', sizes.journal.intents);
      const latency = (pick: 'median' | 'p99'): Figure => {
        const values = measured.runs.map((r) => r.latencyMs?.[pick] ?? Number.NaN);
        return {
          id: `journal-intent-${pick}`,
          stage: 'journal',
          label: `journal: write-ahead intent commit (beforeSend, synchronous=FULL), ${pick} of ${compact(sizes.journal.intents)}`,
          unit: 'ms',
          size: sizes.journal.intents,
          runs: measured.runs,
          best: Math.min(...values),
          median: median(values),
          bestSeconds: Math.min(...measured.runs.map((r) => r.seconds)),
          medianSeconds: median(measured.runs.map((r) => r.seconds)),
          peakRssMb: Math.max(...measured.runs.map((r) => r.peakRssMb)),
          load: measured.load,
        };
      };
      figures.push(latency('median'), latency('p99'));
    });
    await attempt('journal rebuild', async () => {
      figures.push(
        rateFigure({ id: 'journal-rebuild', stage: 'journal', label: 'journal: fills read back into a book (recovery at start)', unit: 'fills/s' }, await journalRun('rebuild', sizes.journal.fills)),
      );
    });
    await attempt('replay with journal', async () => {
      const file = files.get(sizes.replayRows)!;
      const journalFile = join(DATA_DIR, 'replay-journal.db');
      const removeJournal = (): void => {
        for (const suffix of ['', '-wal', '-shm', '.lock']) rmSync(`${journalFile}${suffix}`, { force: true });
      };
      const measured = await repeat(rounds, () => {
        removeJournal();
        return measureReplayProcess([file, '--no-progress', '--journal', journalFile], options);
      });
      removeJournal();
      const plain = await repeat(rounds, () => measureReplayProcess([file, '--no-progress'], options));
      const engine = (run: MeasureResult): number => run.engineSeconds ?? run.seconds;
      figures.push(
        rateFigure({ id: 'replay-journal-engine', stage: 'journal', label: `npm run replay -- --journal, ${compact(sizes.replayRows)} bars (the replay's own figure)`, unit: 'bars/s' }, measured, engine),
        rateFigure({ id: 'replay-plain-engine', stage: 'journal', label: '  (the same replay without --journal)', unit: 'bars/s' }, plain, engine),
      );
    });
  }

  if (wanted.has('sweep')) await measureSweeps(files.get(sizes.poolRows)!, options, figures, attempt);

  const table = formatTable(figures);
  process.stdout.write(`\n${table}\n\nload average now ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${cores} cores; best = fastest of ${rounds} run(s)\n`);
  if (failures.length > 0) process.stdout.write(`\nFAILED:\n${failures.join('\n')}\n`);
  const cpu = cpus()[0];
  writeFileSync(
    options.json,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        machine: { cpu: cpu?.model, cores, memoryMb: Math.round(totalmem() / 2 ** 20), node: process.version, platform: process.platform },
        options: { ...options, sizes },
        dataDir: DATA_DIR,
        generatedMs: generated,
        figures,
        failures,
        table,
      },
      null,
      2,
    )}\n`,
  );
  process.stdout.write(`results: ${options.json}\n`);
  return failures.length > 0 ? EXIT_DATA : EXIT_OK;
}

runMain(main);
