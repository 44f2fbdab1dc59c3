import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { Command } from 'commander';
import { tap } from 'rxjs';
import { swapCurrencies } from '../../operators/fxInvert';
import { contractFor, DEFAULT_CONTRACTS_PATH, loadContracts } from '../core/contracts';
import { ConfigError } from '../core/errors';
import type { ContractBook } from '../core/types';
import { describeConversion } from '../portfolio/currency';
import { isoUtc } from '../core/time';
import { withConnection } from '../data/duckdb';
import { sha256OfFile } from '../data/fileHash';
import { formatDuration } from '../data/intervals';
import { mergeByEventTime } from '../data/merge';
import { isParquetFile, replayFile, type OpenedFile, type ValidationReport } from '../data/replay';
import { describeSkipped } from '../data/validation';
import { loadReplayConfig, type RunnerConfig } from '../runner/config';
import { renderHtmlReport } from '../runner/report/htmlReport';
import { createPriceSampler } from '../runner/report/priceSampler';
import { serializeReport, withReportInput, type ReportInput } from '../runner/report/replayReport';
import { formatSummaryTable } from '../runner/report/summaryTable';
import { runTradeRunner, simBrokerFor, type TradeRunResult } from '../runner/tradeRunner';
import { journalConfigHash } from '../journal/configHash';
import { openJournal, type Journal } from '../journal/journal';
import { JournalError } from '../journal/journalError';
import { recordGraphEvents, writeAheadBroker } from '../journal/writeAhead';
import { addDataOptions, replayOptionsFrom, type DataFlags } from './dataOptions';
import {
  EXIT_DATA,
  EXIT_INTERRUPTED,
  EXIT_OK,
  EXIT_USAGE,
  PROCESS_IO,
  TERMINAL_RESTORE,
  onStopSignals,
  parseArgs,
  reportError,
  runMain,
  startProgress,
  type CliIo,
  type Progress,
  type SignalSource,
} from './io';
import { zoneNote } from './layoutText';

export { symbolFromFileName } from './symbol';

export const DEFAULT_CONFIG_PATH = resolve(__dirname, '../../config/gotobi.json');

interface ReplayCliOptions extends DataFlags {
  readonly config: string;
  readonly contracts: string;
  readonly json?: string;
  readonly html?: string;
  readonly journal?: string;
  readonly progress: boolean;
}

/** Bars between progress bar updates. */
const PROGRESS_EVERY = 16_384;

/**
 * `npm run replay -- <file> [options]`: replays a bar or tick file through the strategies of a runner config
 * and prints a per-strategy summary. Returns the exit code: 0 ok, 1 data error, 2 bad arguments or config,
 * 130 interrupted (Ctrl-C: the summary covers the bars replayed until then).
 */
export async function runReplay(argv: readonly string[], io: CliIo = PROCESS_IO, signals: SignalSource = process): Promise<number> {
  const program = addDataOptions(
    new Command('replay')
      .description(
        'Replay bar or tick files (Parquet, or CSV/text in any layout npm run inspect recognises) through the strategies of a runner config; several files (or a directory of them) are merged by event time.',
      )
      .argument('<files...>', 'bar or tick files (.parquet, .csv, .txt, .csv.gz, …) or directories of them; with several, each names its contract (eurusd.parquet)')
      .option('--config <path>', 'runner config (account, broker, risk, strategies); a live config works too', DEFAULT_CONFIG_PATH)
      .option('--contracts <path>', 'contract specs', DEFAULT_CONTRACTS_PATH),
    { symbol: 'symbol of the bars (default: from the file name, else the file); one file only' },
  )
    .option('--json <path>', 'write the full report (fills, trades, analyzers) as JSON')
    .option('--html <path>', 'write a self-contained HTML report (price chart with the fills, equity, drawdown, monthly returns, trades)')
    .option('--journal <path>', 'also journal the run into a new SQLite journal (read it with npm run journal)')
    .option('--no-progress', 'no progress bar on stderr');
  const stop = await parseArgs(program, argv, io);
  if (stop !== undefined) return stop;
  const opts = program.opts<ReplayCliOptions>();

  let progress: Progress | undefined;
  let journal: Journal | undefined;
  let stopListening = (): void => undefined;
  try {
    const files = replayFiles(program.args);
    const contracts = loadContracts(opts.contracts);
    const { config, liveBarMs } = loadReplayConfig(opts.config);
    if (files.length > 1 && opts.symbol !== undefined) {
      throw new ConfigError(`--symbol names the bars of one file; with ${files.length} files each file's name gives its contract (eurusd.parquet)`, 'replay');
    }
    const inputs = files.map((file) => ({ file, options: replayOptionsFrom(file, opts, contracts, config) }));
    const barMs = inputs[0].options.barMs ?? liveBarMs;
    if (inputs[0].options.barMs === undefined && liveBarMs !== undefined) {
      io.stderr.write(`${files.join(', ')}: ${formatDuration(liveBarMs)} bars, the live.bar of ${opts.config} (--bar overrides)\n`);
    }
    const symbols = loadedSymbols(inputs);
    if (symbols !== undefined) checkSymbols(symbols, config, opts.config);

    const validations = new Map<string, ValidationReport>();
    const opened = new Map<string, OpenedFile>();
    const total = opts.progress && io.stderr.isTTY === true && files.every(isParquetFile) ? await countAllRows(files) : undefined;
    let seen = 0;
    let lastTs = Number.NaN;
    let barSymbol: string | undefined;
    const onOpen = (info: OpenedFile): void => {
      opened.set(info.file, info);
      if (files.length === 1 && inputs[0].options.symbol === undefined && info.format.kind === 'text' && info.format.layout.fileSymbol !== undefined) {
        checkSymbols([info.format.layout.fileSymbol], config, opts.config);
      }
      const note = info.format.kind === 'text' ? zoneNote(info.format.layout) : undefined;
      if (note !== undefined) io.stderr.write(`${info.file}: ${note}\n`);
      if (opts.progress && total === undefined && files.length === 1 && info.progress !== undefined) {
        progress = startProgress(io, { label: 'replay', total: info.progress().total, unit: 'bytes' });
      }
    };
    const byteProgress = (): number | undefined => (files.length === 1 && total === undefined ? opened.get(files[0])?.progress?.().done : undefined);
    progress = total === undefined ? undefined : startProgress(io, { label: 'replay', total, unit: 'rows' });
    const sources = inputs.map(({ file, options }) => ({
      name: file,
      bars: (pace: () => Promise<void>) =>
        replayFile(file, {
          ...options,
          ...(barMs !== undefined ? { barMs } : {}),
          onReport: (r) => validations.set(file, r),
          onOpen,
          ...(files.length > 1 ? { pace } : {}),
        }),
    }));
    const bars$ = mergeByEventTime(sources).pipe(
      tap((bar) => {
        if (seen === 0) barSymbol = bar.symbol;
        lastTs = bar.ts;
        if (++seen % PROGRESS_EVERY === 0 && progress !== undefined) progress.update(byteProgress() ?? seen);
      }),
    );
    // A journaled replay writes what a live run writes: intents and fills through the broker, the rest from the graph.
    journal =
      opts.journal === undefined
        ? undefined
        : openJournal(opts.journal, { mode: 'replay', account: 'replay', configHash: journalConfigHash(config), accountCurrency: config.account.currency, initialCash: config.account.initialCash });
    const broker =
      journal === undefined
        ? undefined
        : writeAheadBroker(simBrokerFor(config, contracts), journal, {
            onAlreadySent: (order) => {
              throw new Error(`the replay decided order id ${order.id} twice`);
            },
          });
    const run = runTradeRunner({ config, contracts, bars$, equitySeries: opts.html !== undefined, broker, ...(symbols !== undefined ? { symbols } : {}) });
    for (const note of conversionNotes(config, contracts, symbols)) io.stderr.write(`${note}\n`);
    if (journal !== undefined) run.events$.subscribe(recordGraphEvents(journal));
    // The HTML report's candlestick chart: the traded symbol's bars and the fills, from the graph's events.
    const chartSymbol = config.strategies[0]?.symbol;
    const prices = opts.html === undefined || chartSymbol === undefined ? undefined : createPriceSampler({ symbol: chartSymbol });
    if (prices !== undefined) run.events$.subscribe({ next: (event) => prices.record(event), error: () => undefined });
    // The report records the input files' hashes; they are read beside the replay, and only when a report is written.
    const hashing = opts.json !== undefined || opts.html !== undefined ? Promise.all(files.map(sha256OfFile)) : undefined;

    let interrupted = false;
    let cutShort: ((code: number) => void) | undefined;
    const secondSignal = new Promise<number>((resolveCode) => (cutShort = resolveCode));
    stopListening = onStopSignals(signals, {
      first: (signal) => {
        interrupted = true;
        progress?.stop();
        io.stderr.write(`${signal}: stopping the replay (again to exit at once)\n`);
        run.stop();
      },
      again: () => {
        progress?.stop();
        if (io.stderr.isTTY === true) io.stderr.write(TERMINAL_RESTORE);
        cutShort?.(EXIT_INTERRUPTED);
      },
    });
    const outcome = await Promise.race([run.result, secondSignal]);
    progress?.stop();
    if (typeof outcome === 'number') return outcome;
    const result: TradeRunResult = outcome;
    if (journal !== undefined) {
      journal.recordPositions(result.book.positions());
      journal.close(interrupted ? 'interrupted' : 'end of data');
    }

    for (const [file, validation] of validations) {
      if (validation.rowsSkipped > 0) {
        io.stderr.write(`${file}: skipped ${validation.rowsSkipped} invalid row(s) (data.policy "skip"):\n${describeSkipped(validation).map((l) => `  ${l}\n`).join('')}`);
      }
    }
    io.stdout.write(`${formatSummaryTable(result.report)}\n`);
    if (opts.journal !== undefined) io.stdout.write(`Journal: ${opts.journal}\n`);
    if (interrupted) {
      const upTo = Number.isNaN(lastTs) ? '' : `, up to ${isoUtc(lastTs)}`;
      io.stdout.write(`Interrupted after ${seen.toLocaleString('en-US')} bars${upTo}: the figures above cover those bars only; no report file written.\n`);
      void hashing?.catch(() => undefined); // no report: the hash is not needed, nor its failure
      return EXIT_INTERRUPTED;
    }
    if (seen === 0 && validations.size === files.length) return reportEmpty(files, opts, io);
    if (hashing === undefined) return EXIT_OK;

    const hashes = await hashing;
    const described = inputs.map(({ file, options }, i): ReportInput => ({
      file: basename(file),
      sha256: hashes[i].sha256,
      bytes: hashes[i].bytes,
      // The symbol of the bars replayed: --symbol, the file name's contract, or the file's own.
      symbol: (files.length === 1 ? barSymbol : undefined) ?? options.symbol ?? null,
      from: options.from ?? null,
      to: options.to ?? null,
      timezone: options.timezone ?? null,
    }));
    const report = withReportInput(result.report, described.length === 1 ? described[0] : described);
    const series = prices === undefined ? result.series : { ...result.series, price: prices.result() };
    if (opts.json !== undefined) {
      writeFileSync(opts.json, serializeReport(report));
      io.stdout.write(`JSON report: ${opts.json}\n`);
    }
    if (opts.html !== undefined) {
      writeFileSync(opts.html, await renderHtmlReport(report, series));
      io.stdout.write(`HTML report: ${opts.html}\n`);
    }
    return EXIT_OK;
  } catch (e) {
    progress?.stop();
    if (journal !== undefined) endJournal(journal, e);
    if (e instanceof JournalError) {
      io.stderr.write(`${e.message}\n`);
      return EXIT_DATA;
    }
    return reportError(e, io);
  } finally {
    stopListening();
  }
}

/**
 * Journals why the run ended and closes the journal. A journal that failed (or was closed already) takes no
 * more writes: then the error reported is its own, or the one that ended the run.
 */
function endJournal(journal: Journal, error: unknown): void {
  try {
    journal.recordError('replay', error);
  } catch {
    // see above
  }
  try {
    journal.close('error');
  } catch {
    // see above; close releases the file and its lock even when its last write fails
  }
}

/** Bar and tick file names a directory argument stands for (hidden files and others left out). */
const DATA_FILE = /\.(parquet|pq|csv|txt|tsv)(\.gz)?$/i;

/**
 * The files the arguments name, a directory standing for its data files; each file once, in path order, so a
 * run (and its report) does not depend on the order they were given in.
 */
function replayFiles(args: readonly string[]): string[] {
  const files: string[] = [];
  for (const arg of args) {
    if (!existsSync(arg)) throw new ConfigError(`no such file: ${arg}`, 'replay');
    if (statSync(arg).isDirectory()) {
      const inside = readdirSync(arg)
        .filter((name) => !name.startsWith('.') && DATA_FILE.test(name))
        .sort()
        .map((name) => join(arg, name))
        .filter((file) => statSync(file).isFile());
      if (inside.length === 0) throw new ConfigError(`no bar or tick files (.parquet, .csv, .txt, .gz) in the directory ${arg}`, 'replay');
      files.push(...inside);
    } else files.push(arg);
  }
  const seen = new Set<string>();
  for (const file of files) {
    if (seen.has(resolve(file))) throw new ConfigError(`${file} is given twice`, 'replay');
    seen.add(resolve(file));
  }
  return files.sort();
}

/**
 * The symbols of the files, when each is known before reading (`--symbol`, or the contract its name names);
 * several files must each name theirs. Undefined: a single file whose symbol only its contents tell.
 */
function loadedSymbols(inputs: readonly { readonly file: string; readonly options: { readonly symbol?: string } }[]): string[] | undefined {
  if (inputs.length === 1) return inputs[0].options.symbol === undefined ? undefined : [inputs[0].options.symbol];
  const unnamed = inputs.filter((i) => i.options.symbol === undefined).map((i) => i.file);
  if (unnamed.length > 0) {
    throw new ConfigError(`${unnamed.join(', ')}: the name gives no contract; with several files, name each after its contract (eurusd.parquet, EURJPY_2024.csv)`, 'replay');
  }
  return [...new Set(inputs.map((i) => i.options.symbol as string))].sort();
}

/** Every symbol a strategy trades or reads must be among the files' (or their inverses with `data.invert`). */
function checkSymbols(symbols: readonly string[], config: RunnerConfig, configPath: string): void {
  const loaded = new Set(config.data?.invert === true ? symbols.map((s) => swapCurrencies(s)) : symbols);
  const strangers = config.strategies.filter((s) => !loaded.has(s.symbol) || (s.reads ?? []).some((r) => !loaded.has(r)));
  if (strangers.length === 0) return;
  const has = [...loaded].join(', ');
  const names = strangers.map((s) => `"${s.id}" (${[s.symbol, ...(s.reads ?? [])].filter((x) => !loaded.has(x)).join(', ')})`).join(', ');
  throw new ConfigError(
    symbols.length === 1
      ? `the file has ${has} bars but strategies ${names} trade another symbol; pass --symbol or fix the config`
      : `the files have ${has} bars but strategies ${names} need other symbols; add their files or fix the config`,
    configPath,
  );
}

/**
 * How each traded symbol's PnL reaches the account currency when it takes other pairs' rates: said before
 * the run, so a report's money can be traced (an unconvertible symbol is the book's error at start).
 */
function conversionNotes(config: RunnerConfig, contracts: ContractBook, symbols: readonly string[] | undefined): string[] {
  const priced = symbols === undefined ? undefined : new Set(config.data?.invert === true ? symbols.map((s) => swapCurrencies(s)) : symbols);
  const account = config.account.currency;
  return [...new Set(config.strategies.map((s) => s.symbol))]
    .sort()
    .map((symbol) => contractFor(contracts, symbol))
    .filter((spec) => spec.quoteCurrency !== account && spec.baseCurrency !== account)
    .map((spec) => `PnL ${describeConversion(spec, account, contracts, priced)} (fills at the last close at or before them, marks at the latest)`);
}

/** No bar replayed: a range that misses the data is a usage error (2), empty files bad data (1). */
function reportEmpty(files: readonly string[], opts: ReplayCliOptions, io: CliIo): number {
  const named = files.join(', ');
  if (opts.from !== undefined || opts.to !== undefined) {
    const range = [opts.from !== undefined ? `--from ${opts.from}` : '', opts.to !== undefined ? `--to ${opts.to}` : ''].filter((s) => s !== '').join(' ');
    io.stderr.write(`error: no bars in ${named} within ${range}: the range misses the data (npm run inspect -- ${files[0]} shows its first and last bar)\n`);
    return EXIT_USAGE;
  }
  io.stderr.write(`invalid data: ${named}: no bars to replay\n`);
  return EXIT_DATA;
}

/** Rows in Parquet files from their footers (for the progress bar). */
async function countAllRows(files: readonly string[]): Promise<number | undefined> {
  try {
    return await withConnection(async (connection) => {
      let rows = 0;
      for (const file of files) {
        const reader = await connection.runAndReadAll(`SELECT count(*)::DOUBLE FROM read_parquet('${file.replaceAll("'", "''")}')`);
        rows += Number(reader.getRows()[0][0]);
      }
      return rows;
    });
  } catch {
    return undefined; // the replay itself reports what is wrong with the file
  }
}

if (require.main === module) runMain(() => runReplay(process.argv.slice(2)));
