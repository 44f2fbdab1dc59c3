/**
 * `npm run fetch:ibkr -- --symbol USDJPY --bar 1m --from 2024-01-01 --to 2024-03-01 --what MIDPOINT --out data/usdjpy.parquet
 *  [--host 127.0.0.1] [--port 7497] [--client-id 17] [--rth] [--contracts config/contracts.json]`
 *
 * Pulls IB historical bars through TWS / IB Gateway into a Parquet file that `npm run replay` reads. Rerunning
 * the same command resumes: bars already in the file are not requested again. Progress goes to stderr, a JSON
 * summary to stdout. Ctrl-C stops after the request in flight and keeps what was fetched.
 *
 * Connection defaults come from IB_HOST, IB_PORT, IB_CLIENT_ID (TWS paper port 7497 when unset). Exit codes:
 * 0 done, 1 data or TWS error, 2 bad arguments or config, 130 interrupted.
 */
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError } from '../core/errors';
import { contractFor, DEFAULT_CONTRACTS_PATH } from '../core/contracts';
import { loadIbContracts } from '../adapters/ibkr/contracts';
import { isoUtc } from '../core/time';
import { createIbConnection, DEFAULT_IB_PORT } from '../adapters/ibkr/connection';
import { barSizeOf } from '../adapters/ibkr/history/chunks';
import { fetchIbkrHistory, type FetchProgress, type HistoricalWhatToShow } from '../adapters/ibkr/history/historyService';
import { parquetHistoryStore, type HistoryStore } from '../adapters/ibkr/history/store';
import type { PacingLimits } from '../adapters/ibkr/history/pacer';
import { EXIT_INTERRUPTED, EXIT_OK, PROCESS_IO, parseArgs, reportError, runMain, writeLine, type CliIo } from './io';

const WHAT: readonly HistoricalWhatToShow[] = ['TRADES', 'MIDPOINT', 'BID', 'ASK', 'BID_ASK'];

export interface FetchCliContext {
  readonly io: CliIo;
  readonly env: NodeJS.ProcessEnv;
  /** Aborts the fetch (the CLI wires SIGINT to it). */
  readonly signal?: AbortSignal;
  /** Overrides for tests: pacing limits, store. */
  readonly pacing?: PacingLimits;
  readonly store?: HistoryStore;
}

/** `2024-01-01` (UTC midnight) or an ISO time with a zone. */
function parseTime(text: string): number {
  const ts = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : /[zZ]|[+-]\d{2}:?\d{2}$/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(ts)) throw new InvalidArgumentError(`"${text}" is not a date (YYYY-MM-DD, UTC) or an ISO time with a zone`);
  return ts;
}

function parseInteger(name: string) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a whole number, got "${text}"`);
    return n;
  };
}

function describe(p: FetchProgress): string | undefined {
  switch (p.kind) {
    case 'plan':
      return p.existing
        ? `resuming: the file has ${p.existing.rows} bars ${isoUtc(p.existing.first)}..${isoUtc(p.existing.last)}; ${p.chunks} request(s) for the rest`
        : `${p.chunks} request(s)`;
    case 'chunk':
      return `[${p.index}/${p.chunks}] ${isoUtc(p.chunk.start)}..${isoUtc(p.chunk.end)}: ${p.bars} bars`;
    case 'retry':
      return `retrying ${isoUtc(p.chunk.start)}..${isoUtc(p.chunk.end)}${p.waitMs > 0 ? ` in ${p.waitMs / 1000} s` : ''}: ${p.reason}`;
    case 'write':
      return `wrote ${p.bars} bars (${p.rows ?? '?'} in the file)`;
    case 'request':
      return undefined;
  }
}

/** Runs the command; resolves with the exit code. */
export async function runFetchIbkr(argv: readonly string[], context: FetchCliContext): Promise<number> {
  const { io } = context;
  const say = (line: string): void => writeLine(io.stderr, line);
  const program = new Command('fetch:ibkr')
    .description('Fetch IB historical bars into a Parquet file (resumable)')
    .requiredOption('--symbol <symbol>', 'symbol in the contracts file, e.g. USDJPY')
    .requiredOption('--bar <size>', 'bar size: 1s 5s 10s 15s 30s 1m 2m 3m 5m 10m 15m 20m 30m 1h 2h 3h 4h 8h 1d')
    .requiredOption('--from <date>', 'start, inclusive (YYYY-MM-DD is UTC midnight)', parseTime)
    .requiredOption('--to <date>', 'end, exclusive', parseTime)
    .requiredOption('--out <file>', 'output Parquet file')
    .option('--what <what>', `what to show: ${WHAT.join(', ')}`, 'MIDPOINT')
    .option('--rth', 'regular trading hours only', false)
    .option('--host <host>', 'TWS / IB Gateway host (env IB_HOST)')
    .option('--port <port>', 'TWS / IB Gateway port (env IB_PORT; TWS paper 7497, Gateway paper 4002)', parseInteger('--port'))
    .option('--client-id <id>', 'API client id (env IB_CLIENT_ID)', parseInteger('--client-id'))
    .option('--contracts <file>', 'contracts file', DEFAULT_CONTRACTS_PATH)
    .option('--connect-attempts <n>', 'connection attempts before giving up', parseInteger('--connect-attempts'), 5);
  const stop = await parseArgs(program, argv, io);
  if (stop !== undefined) return stop;
  const opts = program.opts<{
    symbol: string;
    bar: string;
    from: number;
    to: number;
    out: string;
    what: string;
    rth: boolean;
    host?: string;
    port?: number;
    clientId?: number;
    contracts: string;
    connectAttempts: number;
  }>();

  let connection: ReturnType<typeof createIbConnection> | undefined;
  try {
    if (!WHAT.includes(opts.what as HistoricalWhatToShow)) throw new ConfigError(`"${opts.what}" is not one of ${WHAT.join(', ')}`, '--what');
    if (opts.from >= opts.to) throw new ConfigError(`--from ${isoUtc(opts.from)} is not before --to ${isoUtc(opts.to)}`);
    const barSize = barSizeOf(opts.bar);
    const contract = contractFor(loadIbContracts(opts.contracts), opts.symbol);
    const host = opts.host ?? (context.env.IB_HOST || '127.0.0.1');
    const port = opts.port ?? envInteger(context.env, 'IB_PORT') ?? DEFAULT_IB_PORT;
    const clientId = opts.clientId ?? envInteger(context.env, 'IB_CLIENT_ID') ?? 17;

    connection = createIbConnection({ host, port, clientId, reconnect: { maxAttempts: Math.max(1, opts.connectAttempts) } });
    const states = connection.notices$.subscribe((n) => {
      if (n.kind === 'reconnecting') say(`TWS ${host}:${port}: ${n.reason}; retrying in ${n.retryInMs / 1000} s`);
      if (n.kind === 'connected') say(`connected to TWS ${host}:${port} (server version ${n.serverVersion}, clientId ${clientId})`);
    });
    say(`fetching ${contract.symbol} ${barSize.setting} ${opts.what} ${isoUtc(opts.from)}..${isoUtc(opts.to)} into ${opts.out}`);
    const result = await fetchIbkrHistory({
      connection,
      contract,
      barSize,
      from: opts.from,
      to: opts.to,
      whatToShow: opts.what as HistoricalWhatToShow,
      useRTH: opts.rth,
      out: opts.out,
      store: context.store ?? parquetHistoryStore,
      ...(context.pacing ? { pacing: context.pacing } : {}),
      ...(context.signal ? { signal: context.signal } : {}),
      onProgress: (p) => {
        const line = describe(p);
        if (line) say(line);
      },
    });
    states.unsubscribe();
    writeLine(io.stdout, JSON.stringify({ out: opts.out, symbol: contract.symbol, bar: opts.bar, ...result }));
    return result.aborted ? EXIT_INTERRUPTED : EXIT_OK;
  } catch (e) {
    return reportError(e, io, { usage: 'fetch:ibkr', data: 'fetch:ibkr', other: 'fetch:ibkr' });
  } finally {
    await connection?.close();
  }
}

function envInteger(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`must be a whole number, got "${text}"`, name);
  return n;
}

/** Runs the command on this process's arguments and streams; Ctrl-C stops after the request in flight. */
export function fetchIbkrMain(): void {
  const stop = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('interrupted: finishing the request in flight and writing what was fetched…\n');
    stop.abort();
  });
  runMain(() => runFetchIbkr(process.argv.slice(2), { io: PROCESS_IO, env: process.env, signal: stop.signal }));
}
