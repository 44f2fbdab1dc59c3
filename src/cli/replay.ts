import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync, writeFileSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import { Command } from 'commander';
import { tap } from 'rxjs';
import { swapCurrencies } from '../../operators/fxInvert';
import { DEFAULT_CONTRACTS_PATH, loadContracts } from '../core/contracts';
import { ConfigError } from '../core/errors';
import type { ContractBook } from '../core/types';
import { withConnection } from '../data/duckdb';
import { replayFile, type ValidationReport } from '../data/replay';
import { loadRunnerConfig } from '../runner/config';
import { renderHtmlReport } from '../runner/report/htmlReport';
import { createPriceSampler } from '../runner/report/priceSampler';
import { serializeReport, withReportInput } from '../runner/report/replayReport';
import { formatSummaryTable } from '../runner/report/summaryTable';
import { runTradeRunner, simBrokerFor } from '../runner/tradeRunner';
import { journalConfigHash } from '../journal/configHash';
import { openJournal, type Journal } from '../journal/journal';
import { JournalError } from '../journal/journalError';
import { recordGraphEvents, writeAheadBroker } from '../journal/writeAhead';
import { parseInstant } from '../data/timestamps';
import { EXIT_DATA, EXIT_OK, parseArgs, reportError, type CliIo } from './args';

export const DEFAULT_CONFIG_PATH = resolve(__dirname, '../../config/gotobi.json');

interface ReplayCliOptions {
  readonly config: string;
  readonly contracts: string;
  readonly symbol?: string;
  readonly from?: string;
  readonly to?: string;
  readonly timezone?: string;
  readonly json?: string;
  readonly html?: string;
  readonly journal?: string;
  readonly progress: boolean;
}

/**
 * `npm run replay -- <file> [options]`: replays a bar file through the strategies of a runner config and
 * prints a per-strategy summary. Returns the exit code: 0 ok, 1 data error, 2 bad arguments or config.
 */
export async function runReplay(argv: readonly string[], io: CliIo = process): Promise<number> {
  const program = new Command('replay')
    .description('Replay a bar file (Parquet or CSV) through the strategies of a runner config.')
    .argument('<file>', 'a .parquet or .csv bar file')
    .option('--config <path>', 'runner config (account, broker, risk, strategies)', DEFAULT_CONFIG_PATH)
    .option('--contracts <path>', 'contract specs', DEFAULT_CONTRACTS_PATH)
    .option('--symbol <symbol>', 'symbol of the bars (default: from the file name or its metadata)')
    .option('--from <time>', 'first bar time, inclusive (ISO-8601, UTC unless it names a zone)')
    .option('--to <time>', 'end time, exclusive')
    .option('--timezone <zone>', 'IANA zone of timestamps written without one (overrides config data.timezone)')
    .option('--json <path>', 'write the full report (fills, trades, analyzers) as JSON')
    .option('--html <path>', 'write a self-contained HTML report (price chart with the fills, equity, drawdown, monthly returns, trades)')
    .option('--journal <path>', 'also journal the run into a new SQLite journal (read it with npm run journal)')
    .option('--no-progress', 'no progress bar on stderr');
  const stop = await parseArgs(program, argv, io);
  if (stop !== undefined) return stop;
  const file = program.args[0];
  const opts = program.opts<ReplayCliOptions>();

  let journal: Journal | undefined;
  try {
    if (!existsSync(file) || !statSync(file).isFile()) throw new ConfigError(`no such file: ${file}`, 'replay');
    const contracts = loadContracts(opts.contracts);
    const config = loadRunnerConfig(opts.config);
    const timezone = opts.timezone ?? config.data?.timezone;
    const from = opts.from === undefined ? undefined : parseInstant('--from', opts.from, timezone);
    const to = opts.to === undefined ? undefined : parseInstant('--to', opts.to, timezone);
    const symbol = opts.symbol ?? symbolFromFileName(file, contracts);
    const traded = config.data?.invert === true && symbol !== undefined ? swapCurrencies(symbol) : symbol;
    if (traded !== undefined) {
      const strangers = config.strategies.filter((s) => s.symbol !== traded);
      if (strangers.length > 0) {
        throw new ConfigError(
          `the file has ${traded} bars but strategies ${strangers.map((s) => `"${s.id}" (${s.symbol})`).join(', ')} trade another symbol; pass --symbol or fix the config`,
          opts.config,
        );
      }
    }

    let validation: ValidationReport | undefined;
    const total = opts.progress && io.stderr.isTTY === true ? await countRows(file) : undefined;
    const progress = total === undefined ? undefined : new SingleBar({ format: 'replay [{bar}] {percentage}% | {value}/{total} bars | {eta_formatted} left', stream: process.stderr, hideCursor: true });
    let seen = 0;
    const bars$ = replayFile(file, {
      symbol,
      timezone,
      from,
      to,
      policy: config.data?.policy,
      onReport: (r) => (validation = r),
    }).pipe(
      tap(() => {
        if (progress !== undefined && ++seen % 16_384 === 0) progress.update(seen);
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
    progress?.start(total ?? 0, 0);
    const run = runTradeRunner({ config, contracts, bars$, equitySeries: opts.html !== undefined, broker });
    if (journal !== undefined) run.events$.subscribe(recordGraphEvents(journal));
    // The HTML report's candlestick chart: the traded symbol's bars and the fills, from the graph's events.
    const chartSymbol = config.strategies[0]?.symbol;
    const prices = opts.html === undefined || chartSymbol === undefined ? undefined : createPriceSampler({ symbol: chartSymbol });
    if (prices !== undefined) run.events$.subscribe({ next: (event) => prices.record(event), error: () => undefined });
    const hashing = sha256OfFile(file);
    let result;
    try {
      result = await run.result;
    } finally {
      if (progress !== undefined) {
        progress.update(seen);
        progress.stop();
      }
    }
    const { sha256, bytes } = await hashing;
    const report = withReportInput(result.report, {
      file: basename(file),
      sha256,
      bytes,
      symbol: symbol ?? null,
      from: from ?? null,
      to: to ?? null,
      timezone: timezone ?? null,
    });
    const series = prices === undefined ? result.series : { ...result.series, price: prices.result() };
    if (journal !== undefined) {
      journal.recordPositions(result.book.positions());
      journal.close('end of data');
    }

    if (validation !== undefined && validation.rowsSkipped > 0) {
      io.stderr.write(`${file}: skipped ${validation.rowsSkipped} invalid row(s) (data.policy "skip")\n`);
    }
    io.stdout.write(`${formatSummaryTable(report)}\n`);
    if (opts.json !== undefined) {
      writeFileSync(opts.json, serializeReport(report));
      io.stdout.write(`JSON report: ${opts.json}\n`);
    }
    if (opts.html !== undefined) {
      writeFileSync(opts.html, await renderHtmlReport(report, series));
      io.stdout.write(`HTML report: ${opts.html}\n`);
    }
    if (opts.journal !== undefined) io.stdout.write(`Journal: ${opts.journal}\n`);
    return EXIT_OK;
  } catch (e) {
    if (journal !== undefined) endJournal(journal, e);
    if (e instanceof JournalError) {
      io.stderr.write(`${e.message}\n`);
      return EXIT_DATA;
    }
    return reportError(e, io);
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

/** The contract symbol the file name names (`usdjpy.parquet`, `USDJPY_2024-1m.csv` → USDJPY), if exactly one. */
export function symbolFromFileName(file: string, contracts: ContractBook): string | undefined {
  const name = basename(file, extname(file)).toUpperCase().replace(/[^A-Z0-9]/g, '');
  const hits = Object.keys(contracts).filter((symbol) => name.includes(symbol.replace(/[^A-Z0-9]/g, '')));
  return hits.length === 1 ? hits[0] : undefined;
}

/** The input file's SHA-256 and size, read beside the replay (the report records them). */
async function sha256OfFile(file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** Rows in a Parquet file from its footer (for the progress bar); undefined for other files. */
async function countRows(file: string): Promise<number | undefined> {
  if (extname(file).toLowerCase() !== '.parquet') return undefined;
  try {
    return await withConnection(async (connection) => {
      const reader = await connection.runAndReadAll(`SELECT count(*)::DOUBLE FROM read_parquet('${file.replaceAll("'", "''")}')`);
      return Number(reader.getRows()[0][0]);
    });
  } catch {
    return undefined; // the replay itself reports what is wrong with the file
  }
}

if (require.main === module) {
  runReplay(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.exitCode = reportError(e, process);
    },
  );
}
