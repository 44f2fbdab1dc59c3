import { existsSync, statSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { Command } from 'commander';
import { tap } from 'rxjs';
import { swapCurrencies } from '../../operators/fxInvert';
import { DEFAULT_CONTRACTS_PATH, loadContracts } from '../core/contracts';
import { ConfigError } from '../core/errors';
import { isoUtc } from '../core/time';
import { withConnection } from '../data/duckdb';
import { sha256OfFile } from '../data/fileHash';
import { formatDuration } from '../data/intervals';
import { isParquetFile, replayFile, type OpenedFile, type ValidationReport } from '../data/replay';
import { describeSkipped } from '../data/validation';
import { loadReplayConfig, type RunnerConfig } from '../runner/config';
import { renderHtmlReport } from '../runner/report/htmlReport';
import { createPriceSampler } from '../runner/report/priceSampler';
import { serializeReport, withReportInput } from '../runner/report/replayReport';
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
      .description('Replay a bar or tick file (Parquet, or CSV/text in any layout npm run inspect recognises) through the strategies of a runner config.')
      .argument('<file>', 'a bar or tick file: .parquet, .csv, .txt, .csv.gz, …')
      .option('--config <path>', 'runner config (account, broker, risk, strategies); a live config works too', DEFAULT_CONFIG_PATH)
      .option('--contracts <path>', 'contract specs', DEFAULT_CONTRACTS_PATH),
    { symbol: 'symbol of the bars (default: from the file name, else the file)' },
  )
    .option('--json <path>', 'write the full report (fills, trades, analyzers) as JSON')
    .option('--html <path>', 'write a self-contained HTML report (price chart with the fills, equity, drawdown, monthly returns, trades)')
    .option('--journal <path>', 'also journal the run into a new SQLite journal (read it with npm run journal)')
    .option('--no-progress', 'no progress bar on stderr');
  const stop = await parseArgs(program, argv, io);
  if (stop !== undefined) return stop;
  const file = program.args[0];
  const opts = program.opts<ReplayCliOptions>();

  let progress: Progress | undefined;
  let journal: Journal | undefined;
  let stopListening = (): void => undefined;
  try {
    if (!existsSync(file) || !statSync(file).isFile()) throw new ConfigError(`no such file: ${file}`, 'replay');
    const contracts = loadContracts(opts.contracts);
    const { config, liveBarMs } = loadReplayConfig(opts.config);
    const options = replayOptionsFrom(file, opts, contracts, config);
    const barMs = options.barMs ?? liveBarMs;
    if (options.barMs === undefined && liveBarMs !== undefined) {
      io.stderr.write(`${file}: ${formatDuration(liveBarMs)} bars, the live.bar of ${opts.config} (--bar overrides)\n`);
    }
    if (options.symbol !== undefined) checkSymbol(options.symbol, config, opts.config);

    let validation: ValidationReport | undefined;
    let opened: OpenedFile | undefined;
    const total = opts.progress && io.stderr.isTTY === true && isParquetFile(file) ? await countRows(file) : undefined;
    let seen = 0;
    let lastTs = Number.NaN;
    let barSymbol: string | undefined;
    const onOpen = (info: OpenedFile): void => {
      opened = info;
      if (options.symbol === undefined && info.format.kind === 'text' && info.format.layout.fileSymbol !== undefined) {
        checkSymbol(info.format.layout.fileSymbol, config, opts.config);
      }
      const note = info.format.kind === 'text' ? zoneNote(info.format.layout) : undefined;
      if (note !== undefined) io.stderr.write(`${file}: ${note}\n`);
      if (opts.progress && total === undefined && info.progress !== undefined) {
        progress = startProgress(io, { label: 'replay', total: info.progress().total, unit: 'bytes' });
      }
    };
    progress = total === undefined ? undefined : startProgress(io, { label: 'replay', total, unit: 'rows' });
    const bars$ = replayFile(file, { ...options, ...(barMs !== undefined ? { barMs } : {}), onReport: (r) => (validation = r), onOpen }).pipe(
      tap((bar) => {
        if (seen === 0) barSymbol = bar.symbol;
        lastTs = bar.ts;
        if (++seen % PROGRESS_EVERY === 0 && progress !== undefined) progress.update(opened?.progress && total === undefined ? opened.progress().done : seen);
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
    const run = runTradeRunner({ config, contracts, bars$, equitySeries: opts.html !== undefined, broker });
    if (journal !== undefined) run.events$.subscribe(recordGraphEvents(journal));
    // The HTML report's candlestick chart: the traded symbol's bars and the fills, from the graph's events.
    const chartSymbol = config.strategies[0]?.symbol;
    const prices = opts.html === undefined || chartSymbol === undefined ? undefined : createPriceSampler({ symbol: chartSymbol });
    if (prices !== undefined) run.events$.subscribe({ next: (event) => prices.record(event), error: () => undefined });
    // The report records the input file's hash; it is read beside the replay, and only when a report is written.
    const hashing = opts.json !== undefined || opts.html !== undefined ? sha256OfFile(file) : undefined;

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

    if (validation !== undefined && validation.rowsSkipped > 0) {
      io.stderr.write(`${file}: skipped ${validation.rowsSkipped} invalid row(s) (data.policy "skip"):\n${describeSkipped(validation).map((l) => `  ${l}\n`).join('')}`);
    }
    io.stdout.write(`${formatSummaryTable(result.report)}\n`);
    if (opts.journal !== undefined) io.stdout.write(`Journal: ${opts.journal}\n`);
    if (interrupted) {
      const upTo = Number.isNaN(lastTs) ? '' : `, up to ${isoUtc(lastTs)}`;
      io.stdout.write(`Interrupted after ${seen.toLocaleString('en-US')} bars${upTo}: the figures above cover those bars only; no report file written.\n`);
      void hashing?.catch(() => undefined); // no report: the hash is not needed, nor its failure
      return EXIT_INTERRUPTED;
    }
    if (validation !== undefined && validation.rowsEmitted === 0) return reportEmpty(file, opts, io);
    if (hashing === undefined) return EXIT_OK;

    const { sha256, bytes } = await hashing;
    const report = withReportInput(result.report, {
      file: basename(file),
      sha256,
      bytes,
      // The symbol of the bars replayed: --symbol, the file name's contract, or the file's own.
      symbol: barSymbol ?? options.symbol ?? null,
      from: options.from ?? null,
      to: options.to ?? null,
      timezone: options.timezone ?? null,
    });
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

/** The strategies must trade the file's symbol (or its inverse with `data.invert`). */
function checkSymbol(symbol: string, config: RunnerConfig, configPath: string): void {
  const traded = config.data?.invert === true ? swapCurrencies(symbol) : symbol;
  const strangers = config.strategies.filter((s) => s.symbol !== traded);
  if (strangers.length > 0) {
    throw new ConfigError(
      `the file has ${traded} bars but strategies ${strangers.map((s) => `"${s.id}" (${s.symbol})`).join(', ')} trade another symbol; pass --symbol or fix the config`,
      configPath,
    );
  }
}

/** No bar replayed: a range that misses the file is a usage error (2), an empty file bad data (1). */
function reportEmpty(file: string, opts: ReplayCliOptions, io: CliIo): number {
  if (opts.from !== undefined || opts.to !== undefined) {
    const range = [opts.from !== undefined ? `--from ${opts.from}` : '', opts.to !== undefined ? `--to ${opts.to}` : ''].filter((s) => s !== '').join(' ');
    io.stderr.write(`error: no bars in ${file} within ${range}: the range misses the data (npm run inspect -- ${file} shows its first and last bar)\n`);
    return EXIT_USAGE;
  }
  io.stderr.write(`invalid data: ${file}: no bars to replay\n`);
  return EXIT_DATA;
}

/** Rows in a Parquet file from its footer (for the progress bar). */
async function countRows(file: string): Promise<number | undefined> {
  try {
    return await withConnection(async (connection) => {
      const reader = await connection.runAndReadAll(`SELECT count(*)::DOUBLE FROM read_parquet('${file.replaceAll("'", "''")}')`);
      return Number(reader.getRows()[0][0]);
    });
  } catch {
    return undefined; // the replay itself reports what is wrong with the file
  }
}

if (require.main === module) runMain(() => runReplay(process.argv.slice(2)));
