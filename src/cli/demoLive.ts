import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { first, firstValueFrom } from 'rxjs';
import { controlSurfacesConfigSchema } from '../control/surfacesConfig';
import { ConfigError } from '../core/errors';
import { DAY_MS, isoUtc } from '../core/time';
import type { Bar } from '../core/types';
import { readBarsParquet } from '../data/dataStore';
import type { LiveRunner } from '../live/liveRunner';
import { isGotobiDay } from '../strategy/gotobiDays';
import { startFakeTws, type WireRealTimeBar } from '../testkit/fakeTws';
import { PROCESS_IO, parseArgs, reportError, runMain, writeLine, type CliIo, type SignalSource } from './io';
import { DEFAULT_LIVE_CONFIG_PATH, runLive } from './live';

const DEFAULT_FIXTURE = resolve(__dirname, '../../fixtures/usdjpy.parquet');
/** A Friday, and the 5th: a gotobi day in the fixture. */
const DEFAULT_DAY = '2024-01-05';
const JST_OFFSET_MS = 9 * 3600_000;
/** The morning replayed, in JST: long_into_fix buys at 01:00 and sells at 09:55, when short_after_fix sells. */
const MORNING_FROM_JST_MS = 30 * 60_000;
const MORNING_TO_JST_MS = 10.5 * 3600_000;
/** The fake TWS's account: a paper account's shape. */
const DEMO_ACCOUNT = 'DU0000001';
const FIVE_SECONDS = 5000;
/** `--exit-when-done`: how long the stop waits for market orders still on their way to a fill. */
const MARKET_FILL_WAIT_MS = 2000;

interface DemoOptions {
  readonly http: string;
  readonly day: string;
  readonly speed: number;
  readonly fixture: string;
  readonly config: string;
  readonly journal?: string;
  readonly exitWhenDone: boolean;
  readonly jsonLog: boolean;
}

export interface DemoLiveContext {
  readonly io: CliIo;
  readonly env: NodeJS.ProcessEnv;
  readonly signals: SignalSource;
  /** Called with the runner once it exists (tests use it to look at the running demo). */
  readonly onStart?: (runner: LiveRunner) => void;
}

/**
 * `npm run demo:live [-- --http 127.0.0.1:8080] [--speed 10] [--day 2024-01-05]`: the whole live loop with no IB
 * account. It starts the project's fake TWS (the real wire protocol on 127.0.0.1), feeds it a gotobi morning of
 * the fixture as 5-second bars at `--speed` minutes a second (10: the morning in about a minute), and runs
 * `npm run live` on config/live.json against it with the dashboard: the printed URL carries the token. Market
 * orders fill at the last price sent (2 USD commission); the kill switch, flatten and resume work as they do live.
 *
 * When the morning is replayed the engine keeps running (look at the day, try the buttons) until Ctrl-C, or stops
 * at once with `--exit-when-done`. Exit codes as `npm run live`.
 */
export async function runDemoLive(argv: readonly string[], context: DemoLiveContext): Promise<number> {
  const { io } = context;
  const program = new Command('demo:live')
    .description('Run the live engine and its dashboard against a fake TWS replaying a gotobi morning of the fixture.')
    .option('--http <[host:]port>', 'where the HTTP API and the dashboard listen (default host 127.0.0.1)', '127.0.0.1:0')
    .option('--day <YYYY-MM-DD>', 'the gotobi day (JST) whose morning is replayed', DEFAULT_DAY)
    .option('--speed <minutes per second>', 'how fast the fixture is replayed', positiveNumber, 10)
    .option('--fixture <path>', '1-minute USDJPY bars (Parquet)', DEFAULT_FIXTURE)
    .option('--config <path>', 'live config whose strategies run', DEFAULT_LIVE_CONFIG_PATH)
    .option('--journal <file|none>', "the run's journal (default: a new file in a temporary folder, so every demo starts flat)")
    .option('--exit-when-done', 'stop once the morning is replayed instead of waiting for Ctrl-C', false)
    .option('--json-log', 'one JSON object per line on stdout (type first)', false);
  const stop = await parseArgs(program, argv, io);
  if (stop !== undefined) return stop;
  const opts = program.opts<DemoOptions>();

  let bars: Bar[];
  try {
    bars = await morningOf(opts.fixture, opts.day);
  } catch (error) {
    return reportError(error, io, {});
  }
  // The fake stamps executions with the feed's time: bars and fills on one clock, as in a real session.
  let feedTs = bars[0].ts;
  let lastPrice = bars[0].open;
  const tws = await startFakeTws({ accounts: [DEMO_ACCOUNT], clock: () => feedTs });
  // Market orders fill at once at the last price sent; resting orders (protective ones) wait for the price.
  tws.setFills((order) => (order.orderType === 'MKT' ? { price: lastPrice, commission: 2, commissionCurrency: 'USD' } : { match: 'price', commission: 2, commissionCurrency: 'USD' }));
  let timer: NodeJS.Timeout | undefined;

  const feed = async (runner: LiveRunner): Promise<void> => {
    await runner.ready;
    await tws.waitForRequest((r) => r.request?.type === 'reqRealTimeBars');
    writeLine(io.stderr, `Replaying ${bars.length} minutes of ${opts.fixture} (${isoUtc(bars[0].ts)} → ${isoUtc(bars[bars.length - 1].ts + bars[0].intervalMs)}) at ${opts.speed} a second`);
    // A minute goes out once the engine has marked the one before: its orders fill at the price and time they
    // were decided at, as they would live, however fast the feed is asked to go.
    let marked = Number.NEGATIVE_INFINITY;
    const last = bars[bars.length - 1].ts;
    const lastMarked = firstValueFrom(runner.events$.pipe(first((event) => event.kind === 'mark' && event.bar.ts === last)));
    lastMarked.catch(() => undefined);
    const started = Date.now();
    let next = 0;
    let fed!: () => void;
    const allFed = new Promise<void>((resolve) => (fed = resolve));
    const pump = (): void => {
      clearTimeout(timer);
      const due = Math.min(bars.length, Math.floor(((Date.now() - started) / 1000) * opts.speed) + 1);
      for (; next < due && (next === 0 || marked >= bars[next - 1].ts); next++) {
        for (const wire of fiveSecondBars(bars[next])) {
          feedTs = (wire.time + 5) * 1000;
          lastPrice = wire.close;
          tws.sendRealTimeBar(wire);
        }
      }
      if (next < bars.length) timer = setTimeout(pump, next < due ? 1000 : Math.max(1, Math.ceil((next * 1000) / opts.speed - (Date.now() - started))));
      else fed();
    };
    // A mark the feed waits for sends the next minute at once (after the engine's own turn).
    const marks = runner.events$.subscribe({
      next: (event) => {
        if (event.kind !== 'mark') return;
        marked = event.bar.ts;
        if (next < bars.length && marked >= bars[next - 1].ts) setImmediate(pump);
      },
      error: () => undefined,
    });
    pump();
    await allFed;
    await lastMarked;
    marks.unsubscribe();
    if (opts.exitWhenDone) {
      // Market orders of the last minutes fill before the stop (which would cancel them).
      const deadline = Date.now() + MARKET_FILL_WAIT_MS;
      while (runner.broker.workingOrders().some((o) => o.type === 'MARKET') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      void runner.shutdown('the demo morning is replayed');
    } else {
      writeLine(io.stderr, 'The morning is replayed; the engine and its dashboard stay up. Ctrl-C to stop.');
    }
  };

  try {
    // Each demo's fake TWS starts flat, so its journal must too: a journal of an earlier demo would be recovered
    // (and a live config's own journal must never see a demo's fills).
    const journal = opts.journal ?? join(mkdtempSync(join(tmpdir(), 'demo-live-')), 'demo.journal.db');
    const args = ['--config', opts.config, '--http', opts.http, '--journal', journal, ...(opts.jsonLog ? ['--json-log'] : [])];
    const code = await runLive(args, {
      io,
      signals: context.signals,
      // The fake's address, whatever IB_* the shell has.
      env: Object.fromEntries(Object.entries(context.env).filter(([key]) => !key.startsWith('IB_'))),
      // The fake's address; the request log only for problems, so the terminal shows the trading.
      adjustConfig: (config) => ({
        ...config,
        ib: { ...config.ib, host: tws.host, port: tws.port, clientId: 1 },
        interfaces: controlSurfacesConfigSchema.parse({ ...config.interfaces, http: { port: 0, ...config.interfaces?.http, logLevel: 'warn' } }),
      }),
      onStart: (runner) => {
        context.onStart?.(runner);
        feed(runner).catch((error: unknown) => {
          writeLine(io.stderr, `demo feed stopped: ${error instanceof Error ? error.message : String(error)}`);
          void runner.shutdown('the demo feed failed');
        });
      },
    });
    if (journal !== 'none' && existsSync(journal)) {
      writeLine(io.stderr, `The demo's journal: ${journal} (look at the day again: npm run dashboard -- --journal ${journal}; summary: npm run journal -- ${journal})`);
    }
    return code;
  } finally {
    clearTimeout(timer);
    await tws.close();
  }
}

/** The fixture's 1-minute bars of the morning of `day` (JST), checked to be a gotobi day. */
async function morningOf(fixture: string, day: string): Promise<Bar[]> {
  const midnightJst = Date.parse(`${day}T00:00:00Z`) - JST_OFFSET_MS;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(midnightJst)) throw new ConfigError(`expected a date such as ${DEFAULT_DAY}, got "${day}"`, '--day');
  if (!isGotobiDay(Math.floor((midnightJst + JST_OFFSET_MS) / DAY_MS))) {
    throw new ConfigError(`${day} is not a gotobi day (the 5th, 10th, 15th, 20th, 25th or month end, business days, JST): nothing would trade`, '--day');
  }
  const bars = await readBarsParquet(fixture, { from: midnightJst + MORNING_FROM_JST_MS, to: midnightJst + MORNING_TO_JST_MS });
  if (bars.length === 0) throw new ConfigError(`${fixture} has no bars on the morning of ${day} (JST)`, '--day');
  return bars;
}

/**
 * A 1-minute bar as the twelve 5-second bars TWS would have sent: a path open → low → high → close (high first
 * on a falling bar) on the tick grid, so the engine's own 1-minute bar is the fixture's, to the tick.
 */
export function fiveSecondBars(bar: Bar): WireRealTimeBar[] {
  const steps = bar.intervalMs / FIVE_SECONDS;
  const [first, second] = bar.close >= bar.open ? [bar.low, bar.high] : [bar.high, bar.low];
  const corners = [bar.open, first, second, bar.close];
  const path: number[] = [bar.open];
  for (let i = 1; i <= steps; i++) {
    // Position along the three legs, in thirds of the bar.
    const at = (i / steps) * 3;
    const leg = Math.min(2, Math.floor(at - 1e-9));
    const t = at - leg;
    path.push(Math.round((corners[leg] + (corners[leg + 1] - corners[leg]) * t) * 1000) / 1000);
  }
  return Array.from({ length: steps }, (_, i) => ({
    time: (bar.ts + i * FIVE_SECONDS) / 1000,
    open: path[i],
    high: Math.max(path[i], path[i + 1]),
    low: Math.min(path[i], path[i + 1]),
    close: path[i + 1],
    volume: -1,
    wap: -1,
    count: -1,
  }));
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number > 0');
  return n;
}

if (require.main === module) runMain(() => runDemoLive(process.argv.slice(2), { io: PROCESS_IO, env: process.env, signals: process }));
