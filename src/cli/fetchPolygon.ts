import { Command } from 'commander';
import { ConfigError } from '../core/errors';
import type { Bar } from '../core/types';
import { writeBarsParquet } from '../data/dataStore';
import { POLYGON_BASE_URL, polygonBars, TIMESPAN_MS, type AggregatesRequest, type PolygonFetchEvent, type Timespan } from '../adapters/polygon/aggregates';
import { EXIT_OK, EXIT_USAGE, PROCESS_IO, parseArgs as parseCommand, reportError, type CliIo } from './io';

/**
 * `npm run fetch:polygon -- --ticker C:USDJPY --from 2024-01-01 --to 2024-01-31 [--multiplier 1 --timespan minute]
 *  --out data/usdjpy_polygon.parquet [--symbol USDJPY]`
 *
 * Fetches Polygon.io aggregates and writes them through the DataStore, so `npm run replay` reads the file.
 * POLYGON_API_KEY (required) and POLYGON_BASE_URL (default https://api.polygon.io) come from the environment.
 * Progress goes to stderr. Exit codes: 0 done (an empty range included, reported), 1 fetch or data error,
 * 2 bad arguments or configuration.
 */

interface ParsedArgs {
  readonly request: AggregatesRequest;
  readonly out: string;
  readonly symbol: string;
  readonly maxRetries: number;
  readonly backoffMs: number;
}

/** The symbol a ticker's bars are filed under: the market prefix dropped (`C:USDJPY` → `USDJPY`). */
export function symbolFromTicker(ticker: string): string {
  return ticker.replace(/^[A-Z]{1,2}:/, '').replace(/[^A-Za-z0-9._-]/g, '').toUpperCase();
}

export async function runPolygonFetch(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, io: CliIo = PROCESS_IO): Promise<number> {
  const say = (text: string): void => void io.stderr.write(`fetch:polygon: ${text}\n`);
  const program = command();
  const stop = await parseCommand(program, argv, io);
  if (stop !== undefined) return stop;
  let args: ParsedArgs;
  try {
    args = parseArgs(program);
  } catch (error) {
    return reportError(error, io, { usage: 'fetch:polygon' });
  }

  const apiKey = env.POLYGON_API_KEY ?? '';
  if (apiKey.trim() === '') {
    say('POLYGON_API_KEY is not set; export your Polygon.io API key (dashboard → API Keys) as POLYGON_API_KEY');
    return EXIT_USAGE;
  }
  const baseUrl = env.POLYGON_BASE_URL?.trim() || POLYGON_BASE_URL;
  if (!URL.canParse(baseUrl) || !/^https?:$/.test(new URL(baseUrl).protocol)) {
    say(`POLYGON_BASE_URL must be an http(s) URL, got "${baseUrl}"`);
    return EXIT_USAGE;
  }

  const { request, out, symbol } = args;
  const range = `${request.ticker} ${request.multiplier} ${request.timespan} ${request.from}..${request.to}`;
  say(`${range} from ${baseUrl}`);
  let fetched = 0;
  const report = (event: PolygonFetchEvent): void => {
    if (event.type === 'page') {
      fetched += event.resultsCount;
      const delayed = event.status === 'DELAYED' ? ' (delayed data)' : '';
      say(`page ${event.page}: ${event.resultsCount} bars${delayed}, ${fetched} so far${event.hasMore ? ', more to come' : ''}`);
    } else if (event.type === 'retry') {
      say(`page ${event.page}: ${event.reason}, retry ${event.attempt} in ${event.delayMs} ms`);
    } else {
      say(`page ${event.page}: dropped a bar repeated at ${new Date(event.ts).toISOString()}`);
    }
  };

  try {
    const bars = polygonBars(request, {
      apiKey,
      baseUrl,
      symbol,
      retry: { maxRetries: args.maxRetries, initialDelayMs: args.backoffMs },
      onEvent: report,
    });
    const first = await bars.next();
    if (first.done === true) {
      say(`Polygon has no bars for ${range} (resultsCount 0); nothing written to ${out}`);
      return EXIT_OK;
    }
    let firstTs = Number.NaN;
    let lastTs = Number.NaN;
    async function* tracked(): AsyncGenerator<Bar> {
      for (let step = first; step.done !== true; step = await bars.next()) {
        if (Number.isNaN(firstTs)) firstTs = step.value.ts;
        lastTs = step.value.ts;
        yield step.value;
      }
    }
    const written = await writeBarsParquet(out, tracked());
    say(`wrote ${written.rows} ${symbol} bars (${new Date(firstTs).toISOString()} … ${new Date(lastTs).toISOString()}) to ${written.path}`);
    return EXIT_OK;
  } catch (error) {
    return reportError(error, io, { usage: 'fetch:polygon', data: 'fetch:polygon', other: 'fetch:polygon' });
  }
}

function command(): Command {
  return new Command('fetch:polygon')
    .description('Fetch Polygon.io aggregates (bars) into a Parquet file that `npm run replay` reads')
    .requiredOption('--ticker <ticker>', 'Polygon ticker, e.g. C:USDJPY (forex), X:BTCUSD (crypto), AAPL')
    .requiredOption('--from <date>', 'first day, YYYY-MM-DD (inclusive)')
    .requiredOption('--to <date>', 'last day, YYYY-MM-DD (inclusive)')
    .option('--multiplier <n>', 'bar size in timespans', '1')
    .option('--timespan <unit>', `one of ${Object.keys(TIMESPAN_MS).join(', ')}`, 'minute')
    .requiredOption('--out <path>', 'Parquet file to write')
    .option('--symbol <symbol>', 'symbol stored in the file (default: the ticker without its prefix, C:USDJPY → USDJPY)')
    .option('--limit <n>', 'results per page, 1…50000', '50000')
    .option('--max-retries <n>', 'retries of one request after HTTP 429/502/503/504 or a network error', '5')
    .option('--backoff-ms <ms>', 'first retry delay when the server sends no Retry-After (doubles per retry)', '1000')
    .allowExcessArguments(false);
}

/** The parsed options, checked (a ConfigError names the flag). */
function parseArgs(program: Command): ParsedArgs {
  const o = program.opts<Record<string, string>>();

  const from = day(o.from, '--from');
  const to = day(o.to, '--to');
  if (from > to) throw new ConfigError(`--from ${o.from} is after --to ${o.to}`);
  const timespan = o.timespan;
  if (!Object.prototype.hasOwnProperty.call(TIMESPAN_MS, timespan)) {
    throw new ConfigError(`--timespan must be one of ${Object.keys(TIMESPAN_MS).join(', ')} (month, quarter and year have no fixed length), got "${timespan}"`);
  }
  const ticker = o.ticker.trim();
  const symbol = (o.symbol ?? symbolFromTicker(ticker)).trim();
  if (!/^[A-Z0-9._-]+$/.test(symbol)) throw new ConfigError(`--symbol must be an upper-case symbol such as USDJPY, got "${symbol}"`);
  return {
    request: {
      ticker,
      multiplier: integer(o.multiplier, '--multiplier', 1),
      timespan: timespan as Timespan,
      from: o.from,
      to: o.to,
      limit: integer(o.limit, '--limit', 1, 50_000),
    },
    out: o.out,
    symbol,
    maxRetries: integer(o.maxRetries, '--max-retries', 0),
    backoffMs: integer(o.backoffMs, '--backoff-ms', 0),
  };
}

function day(text: string, flag: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== text) {
    throw new ConfigError(`${flag} must be a calendar date YYYY-MM-DD, got "${text}"`);
  }
  return ms;
}

function integer(text: string, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `${min}…${max}`;
    throw new ConfigError(`${flag} must be a whole number ${range}, got "${text}"`);
  }
  return value;
}
