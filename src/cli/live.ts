import { writeFileSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { Command } from 'commander';
import { DEFAULT_CONTRACTS_PATH } from '../core/contracts';
import { loadIbContracts } from '../adapters/ibkr/contracts';
import { resolveIbConnectionConfig } from '../adapters/ibkr/connection';
import { journalConfigHash, openJournal, type Journal } from '../journal';
import { ConfigError } from '../core/errors';
import { isoUtc } from '../core/time';
import type { Order } from '../core/types';
import { startLiveRunner, type LiveEvent, type LiveRunner, type LiveRunResult, type RecoverySummary } from '../live/liveRunner';
import { loadLiveConfig, type LiveConfig } from '../live/liveConfig';
import { controlSurfacesConfigSchema } from '../control/surfacesConfig';
import { serializeReport } from '../runner/report/replayReport';
import { formatSummaryTable } from '../runner/report/summaryTable';
import { EXIT_INTERRUPTED, EXIT_OK, PROCESS_IO, onStopSignals, parseArgs, reportError, runMain, type CliIo, type SignalSource } from './io';

export { EXIT_INTERRUPTED, type SignalSource, type StopSignal } from './io';

export const DEFAULT_LIVE_CONFIG_PATH = resolve(__dirname, '../../config/live.json');

interface LiveCliOptions {
  readonly config: string;
  readonly http?: string;
  readonly contracts: string;
  readonly jsonLog: boolean;
  readonly logBars: boolean;
  readonly report?: string;
  readonly journal?: string;
  readonly adoptBrokerPositions: boolean;
}

export interface LiveCliContext {
  readonly io: CliIo;
  /** IB_HOST, IB_PORT, IB_CLIENT_ID, IB_ACCOUNT and the control surfaces' secrets. */
  readonly env: NodeJS.ProcessEnv;
  readonly signals: SignalSource;
  /** Called with the runner once it exists (tests use it to stop or inspect it; the demo feeds its fake TWS). */
  readonly onStart?: (runner: LiveRunner) => void;
  /** Changes the config read from `--config` before it runs (the demo points it at its fake TWS). */
  readonly adjustConfig?: (config: LiveConfig) => LiveConfig;
}

/**
 * `npm run live -- --config config/live.json [--journal file|none] [--adopt-broker-positions] [--json-log]
 * [--log-bars] [--report out.json]`: runs the config's strategies live against TWS / IB Gateway until SIGINT or
 * SIGTERM, then shuts down cleanly (cancels working orders when `live.cancelWorkingOnExit`, books the last fills)
 * and prints the summary table. The run writes ahead into its journal (default `data/<config name>.journal.db`)
 * and starts by recovering from it (see `startLiveRunner`); a journal that cannot be used stops it before it
 * connects (exit 1).
 *
 * Output: one line per order, fill, signal, trade, connection change (a reconnect is a `connection` line with
 * status `disconnected` and `retryInMs`, then one with status `connected`), TWS notice, broker report and the
 * start-up reconciliation; bars too with `--log-bars`. With `--json-log` each is ONE JSON object on stdout,
 * `type` first, and the summary is a last `{"type":"summary",…}` line (the table goes to stderr so stdout stays
 * JSON); without it, readable lines and the table on stdout.
 *
 * Exit codes: 0 after a clean shutdown, 1 when TWS cannot be reached or a fatal broker/feed error stops the
 * run, 2 for bad arguments or config (the message names the field), 130 when a second signal cut the shutdown.
 */
export async function runLive(argv: readonly string[], context: LiveCliContext): Promise<number> {
  const { io, env, signals } = context;
  const program = new Command('live')
    .description('Run the strategies of a live config against TWS / IB Gateway (paper port 7497 by default).')
    .option('--config <path>', 'live config (runner config + ib + live sections)', DEFAULT_LIVE_CONFIG_PATH)
    .option('--contracts <path>', 'contract specs', DEFAULT_CONTRACTS_PATH)
    .option('--json-log', 'one JSON object per line on stdout (type first)', false)
    .option('--log-bars', 'also log every bar the strategies see', false)
    .option('--report <path>', 'write the full report (fills, trades, analyzers) as JSON at shutdown')
    .option('--http <[host:]port>', 'serve the HTTP API and the dashboard there (default host 127.0.0.1); overrides interfaces.http')
    .option('--journal <file>', 'the journal (SQLite) the run writes ahead and recovers from (default: data/<config name>.journal.db); "none": no journal, nothing survives a restart')
    .option('--adopt-broker-positions', 'at start, book a position at TWS that differs from the journal\'s as a journaled adjustment instead of not trading the symbol', false);
  const stop = await parseArgs(program, argv, io);
  if (stop !== undefined) return stop;
  const opts = program.opts<LiveCliOptions>();

  let runner: LiveRunner;
  let config: LiveConfig;
  let journal: Journal | undefined;
  try {
    const contracts = loadIbContracts(opts.contracts);
    const loaded = loadLiveConfig(opts.config);
    config = withHttp(context.adjustConfig?.(loaded) ?? loaded, opts.http);
    const journalPath = opts.journal ?? defaultJournalPath(opts.config);
    if (journalPath === 'none') {
      if (opts.adoptBrokerPositions) throw new ConfigError('needs a journal (the adjustment is journaled): drop --journal none', '--adopt-broker-positions');
      io.stderr.write('warning: --journal none: nothing is journaled; a restart will not know the positions, orders or kill switch of this run\n');
    } else {
      const { account } = resolveIbConnectionConfig(config.ib, env, 'ib');
      journal = openJournal(journalPath, {
        mode: 'live',
        // Without IB_ACCOUNT the login's only account is traded: the journal names the TWS it was written against.
        account: account ?? `the only account of ${config.ib.host ?? env.IB_HOST ?? '127.0.0.1'}`,
        configHash: journalConfigHash(config),
        accountCurrency: config.account.currency,
        initialCash: config.account.initialCash,
        // A journal that fails stops the trading (the write-ahead broker refuses to send; this stops the run).
        onFailure: (error) => void runner.shutdown(`the journal failed: ${error.message}`),
      });
      io.stderr.write(`Journal: ${journal.file}${journal.previousRun === undefined ? ' (new)' : ''}\n`);
    }
    runner = startLiveRunner({ config, contracts, env, journal, adoptBrokerPositions: opts.adoptBrokerPositions });
  } catch (e) {
    journal?.close('failed to start');
    return reportLiveError(e, io);
  }
  context.onStart?.(runner);

  const write = (event: LiveEvent): void => {
    if (event.kind === 'http') {
      // Like Jupyter: the URL to open, with the token when the engine made one up (stderr: stdout may be a JSON log).
      const tokenNote = event.tokenGenerated ? '' : ` (token: the one in ${config.interfaces?.http?.tokenEnv ?? 'ENGINE_HTTP_TOKEN'})`;
      io.stderr.write(`Dashboard: ${event.tokenGenerated ? event.dashboardUrl : `${event.url}/`}${tokenNote}\n`);
    }
    // For the person watching: what the restart recovered, in a few lines (stderr: stdout may be a JSON log).
    if (event.kind === 'recovery') io.stderr.write(recoveryText(event.summary));
    const record = liveLogRecord(event, { bars: opts.logBars });
    if (record === undefined) return;
    io.stdout.write(opts.jsonLog ? `${JSON.stringify(record)}\n` : `${readableLine(record)}\n`);
  };
  const subscription = runner.events$.subscribe({ next: write, error: () => undefined });

  let interrupted: ((code: number) => void) | undefined;
  const cutShort = new Promise<number>((resolveCode) => (interrupted = resolveCode));
  const stopListening = onStopSignals(signals, {
    first: (signal) => {
      io.stderr.write(`${signal}: shutting down (${config.live.cancelWorkingOnExit ? 'cancelling working orders, ' : ''}again to exit at once)\n`);
      void runner.shutdown(signal);
    },
    again: (signal) => {
      io.stderr.write(`${signal} again: exiting without waiting for the shutdown to finish\n`);
      interrupted?.(EXIT_INTERRUPTED);
    },
  });

  try {
    const outcome = await Promise.race([runner.done, cutShort]);
    if (typeof outcome === 'number') return outcome;
    printSummary(outcome, opts, io);
    if (opts.report !== undefined) {
      writeFileSync(opts.report, serializeReport(outcome.report));
      io.stderr.write(`JSON report: ${opts.report}\n`);
    }
    return EXIT_OK;
  } catch (e) {
    return reportLiveError(e, io);
  } finally {
    stopListening();
    subscription.unsubscribe();
  }
}

/** `--http 127.0.0.1:8080`, `--http :8080` or `--http 8080` → the config's `interfaces.http` with that address. */
export function withHttp(config: LiveConfig, spec: string | undefined): LiveConfig {
  if (spec === undefined) return config;
  const { host, port } = parseHttpAddress(spec);
  const interfaces = controlSurfacesConfigSchema.parse({ ...config.interfaces, http: { ...config.interfaces?.http, host, port } });
  return { ...config, interfaces };
}

/** `--http 127.0.0.1:8080`, `--http :8080` or `--http 8080` (host 127.0.0.1). */
export function parseHttpAddress(spec: string): { readonly host: string; readonly port: number } {
  const match = /^(?:(\[[0-9a-fA-F:]+\]|[^:]+)?:)?(\d{1,5})$/.exec(spec.trim());
  const port = match === null ? NaN : Number(match[2]);
  if (match === null || port > 65535) throw new ConfigError(`expected [host:]port such as 127.0.0.1:8080, got "${spec}"`, '--http');
  return { host: match[1]?.replace(/^\[(.*)\]$/, '$1') ?? '127.0.0.1', port };
}

/** The recovery summary as the first lines after a restart show it. */
export function recoveryText(summary: RecoverySummary): string {
  const previous = summary.previousRun;
  if (previous === undefined) return `Recovery: a new journal, nothing to recover\n`;
  const how = previous.stoppedAt === null ? 'ended without a stop (killed or crashed)' : `stopped ${isoUtc(previous.stoppedAt)} (${previous.stopReason ?? 'no reason'})`;
  const none = (items: readonly string[]): string => (items.length === 0 ? 'none' : items.join(', '));
  const stopped = Object.entries(summary.stoppedSymbols);
  return [
    `Recovery from ${summary.journal}: run ${previous.id} started ${isoUtc(previous.startedAt)}, ${how}`,
    `  positions recovered: ${summary.positionsRecovered}`,
    `  fills booked while down: ${none(summary.fillsWhileDown.map((f) => `${f.side} ${f.qty} ${f.symbol} @ ${f.price} (${f.orderId})`))}`,
    `  orders re-adopted: ${none(summary.ordersAdopted)}`,
    `  orders TWS never got: ${none(summary.ordersNotAtBroker)}`,
    `  kill switch: ${summary.killSwitch.on ? `ON (${summary.killSwitch.reason})` : 'off'}`,
    `  not traded until reconciled: ${stopped.length === 0 ? 'none' : stopped.map(([symbol, why]) => `${symbol} (${why})`).join('; ')}`,
    '',
  ].join('\n');
}

/** `config/live.json` → `data/live.journal.db` (under the working directory): one journal per config. */
export function defaultJournalPath(configPath: string): string {
  return resolve('data', `${basename(configPath, extname(configPath))}.journal.db`);
}

/** Config and argument problems → 2; everything else that stops a live run (TWS unreachable, broker, feed, journal) → 1. */
function reportLiveError(error: unknown, io: CliIo): number {
  return reportError(error, io, { data: 'invalid data from TWS', other: 'error' });
}

function printSummary(result: LiveRunResult, opts: LiveCliOptions, io: CliIo): void {
  const { report } = result;
  const table = `${formatSummaryTable(report)}\n${stillWorkingText(result.stillWorking)}`;
  if (!opts.jsonLog) {
    io.stdout.write(table);
    return;
  }
  io.stderr.write(table);
  const summary = {
    type: 'summary',
    reason: result.reason,
    account: {
      currency: report.account.currency,
      initialCash: report.account.initialCash,
      finalEquity: report.account.finalEquity,
      netPnl: report.account.netPnl,
    },
    bars: report.run.bars,
    strategies: report.strategies.map((s) => ({
      id: s.id,
      symbol: s.symbol,
      fills: s.fills.length,
      trades: s.trades.length,
      commission: s.fills.reduce((sum, f) => sum + f.commission, 0),
      netPnlAccount: s.netPnlAccount,
      position: s.position === null ? 0 : s.position.qty,
      rejected: s.rejected.total,
    })),
    stillWorking: result.stillWorking.map((o) => o.id),
    positionMismatches: result.reconcile?.mismatches.length ?? null,
  };
  io.stdout.write(`${JSON.stringify(summary)}\n`);
}

function stillWorkingText(orders: readonly Order[]): string {
  if (orders.length === 0) return '';
  return `Still working at TWS: ${orders.map((o) => `${o.id} ${o.side} ${o.qty} ${o.symbol}`).join(', ')}\n`;
}

/** A log line's fields: `type` first, then `ts` (epoch ms: event time for graph events, wall time otherwise). */
export type LogRecord = { readonly type: string; readonly ts: number } & Readonly<Record<string, unknown>>;

/** The log record of an event (undefined for bars unless `bars`), with stable field names. */
export function liveLogRecord(event: LiveEvent, options: { readonly bars?: boolean } = {}): LogRecord | undefined {
  switch (event.kind) {
    case 'signal': {
      const s = event.signal;
      return { type: 'signal', ts: s.ts, strategyId: s.strategyId, symbol: s.symbol, target: s.target, reason: s.reason ?? null };
    }
    case 'order': {
      const o = event.order;
      return {
        type: 'order',
        ts: event.ts,
        status: event.status,
        orderId: o.id,
        strategyId: o.strategyId,
        symbol: o.symbol,
        side: o.side,
        qty: o.qty,
        orderType: o.type,
        orderReason: o.reason,
        limitPrice: o.limitPrice ?? null,
        stopPrice: o.stopPrice ?? null,
        filledQty: event.filledQty ?? null,
        reason: event.reason ?? null,
        cancelReason: event.cancelReason ?? null,
        message: event.message ?? null,
      };
    }
    case 'fill':
      return {
        type: 'fill',
        ts: event.ts,
        execId: event.execId,
        orderId: event.orderId,
        strategyId: event.strategyId,
        symbol: event.symbol,
        side: event.side,
        qty: event.qty,
        price: event.price,
        commission: event.commission,
        reason: event.reason,
      };
    case 'trade':
      return { type: 'trade', ts: event.trade.exitTs, ...event.trade };
    case 'mark': {
      if (options.bars !== true) return undefined;
      const b = event.bar;
      return { type: 'bar', ts: b.ts, symbol: b.symbol, intervalMs: b.intervalMs, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume, equity: event.equity };
    }
    case 'connection': {
      const { status, ...rest } = event.state;
      return { type: 'connection', ts: event.ts, status, ...rest };
    }
    case 'connectivity':
      return { type: 'connectivity', ts: event.ts, code: event.code, message: event.message };
    case 'tws-notice':
      return { type: 'notice', ts: event.ts, code: event.code, message: event.message };
    case 'tws-error':
      return { type: 'tws-error', ts: event.ts, id: event.id, code: event.code, message: event.message };
    case 'protocol-error':
      return { type: 'protocol-error', ts: event.ts, message: event.message };
    case 'reconcile': {
      const r = event.report;
      return { type: 'reconcile', ts: event.ts, account: r.account, positions: r.positions, mismatches: r.mismatches };
    }
    case 'recovered-position': {
      const p = event.position;
      return {
        type: 'recovered-position',
        ts: event.ts,
        strategyId: p.strategyId,
        symbol: p.symbol,
        qty: p.qty,
        avgPrice: p.avgPrice,
        realizedPnl: p.realizedPnl,
        realizedPnlAccount: p.realizedPnlAccount,
        commission: p.commission,
      };
    }
    case 'recovery': {
      const r = event.summary;
      return {
        type: 'recovery',
        ts: event.ts,
        journal: r.journal,
        previousRun: r.previousRun ?? null,
        positionsRecovered: r.positionsRecovered,
        fillsWhileDown: r.fillsWhileDown.map((f) => ({ execId: f.execId, orderId: f.orderId, side: f.side, qty: f.qty, price: f.price })),
        ordersAdopted: r.ordersAdopted,
        ordersNotAtBroker: r.ordersNotAtBroker,
        killSwitch: r.killSwitch.on ? r.killSwitch : null,
        stoppedSymbols: r.stoppedSymbols,
      };
    }
    case 'already-sent':
      return { type: 'already-sent', ts: event.ts, orderId: event.orderId, runId: event.runId };
    case 'reconciled':
      return { type: 'reconciled', ts: event.ts, strategyId: event.strategyId, symbol: event.symbol, qty: event.qty, price: event.price, source: event.source };
    case 'broker-report':
      return { type: 'broker', ts: event.ts, ...event.report };
    case 'subscribed':
      return { type: 'subscribed', ts: event.ts, symbols: event.symbols, source: event.source, barMs: event.barMs };
    case 'warmup-started':
      return { type: 'warmup', ts: event.ts, startTs: event.boundary.startTs, liveFrom: event.boundary.liveFrom };
    case 'warmed': {
      const o = event.outcome;
      return { type: 'warmed', ts: event.ts, strategyId: o.strategyId, symbol: o.symbol, bars: o.bars, from: o.firstTs ?? null, to: o.lastEnd ?? null, source: o.source, target: o.target ?? null, position: event.position };
    }
    case 'warmup-short': {
      const o = event.outcome;
      return { type: 'warmup-short', ts: event.ts, strategyId: o.strategyId, symbol: o.symbol, needed: o.needed, bars: o.bars, action: o.action, reason: o.reason };
    }
    case 'http':
      // The address only: the token stays out of logs.
      return { type: 'http', ts: event.ts, url: event.url };
    case 'late-input':
      return { type: 'late-input', ts: event.ts, symbol: event.symbol, eventTs: event.eventTs, dropped: event.dropped };
    case 'error':
      // The order path's alert: a position without the protection its bracket promises.
      return { type: 'error', ts: event.ts, strategyId: event.strategyId, symbol: event.symbol, position: event.position, message: event.message };
    case 'unbooked-fill':
      return { type: 'unbooked-fill', ts: event.ts, execId: event.fill.execId, orderId: event.fill.orderId, qty: event.fill.qty, price: event.fill.price };
    case 'shutdown':
      if (event.phase === 'stopping') return { type: 'shutdown', ts: event.ts, phase: event.phase, reason: event.reason };
      return { type: 'shutdown', ts: event.ts, phase: event.phase, stillWorking: event.stillWorking.map((o) => o.id) };
  }
}

/** `2024-01-04T16:00:00.000Z order    Submitted long_into_fix-1 BUY 100000 USDJPY MARKET`. */
export function readableLine(record: LogRecord): string {
  const time = Number.isFinite(record.ts) ? isoUtc(record.ts) : String(record.ts);
  if (record.type === 'warmup') return `${time} warm-up: history up to ${isoUtc(Number(record.liveFrom))} (the feed started at ${isoUtc(Number(record.startTs))})`;
  if (record.type === 'warmed') return `${time} ${warmedText(record)}`;
  if (record.type === 'warmup-short') {
    return `${time} warm-up short: ${String(record.reason)}: ${record.action === 'refused' ? 'refused, it trades nothing this run' : 'it trades from what it got'}`;
  }
  const rest = Object.entries(record)
    .filter(([key, value]) => key !== 'type' && key !== 'ts' && value !== null && value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
    .join(' ');
  return `${time} ${record.type.padEnd(12)} ${rest}`;
}

/** `warmed smaCross on 51 bars 2024-01-04 07:09–08:00 UTC (ibkr), target -1, book 0`. */
function warmedText(record: LogRecord): string {
  const { strategyId, bars, from, to, source, target, position } = record;
  const span = typeof from === 'number' && typeof to === 'number' ? ` ${spanText(from, to)}` : '';
  const targetText = target === null ? 'no target yet' : `target ${String(target)}`;
  return `warmed ${String(strategyId)} on ${String(bars)} bars${span} (${String(source)}), ${targetText}, book ${String(position)}`;
}

/** `2024-01-04 07:09–08:00 UTC`, the second date only when the day differs. */
function spanText(from: number, to: number): string {
  const a = isoUtc(from);
  const b = isoUtc(to);
  const end = a.slice(0, 10) === b.slice(0, 10) ? b.slice(11, 16) : `${b.slice(0, 10)} ${b.slice(11, 16)}`;
  return `${a.slice(0, 10)} ${a.slice(11, 16)}–${end} UTC`;
}

if (require.main === module) runMain(() => runLive(process.argv.slice(2), { io: PROCESS_IO, env: process.env, signals: process }));
