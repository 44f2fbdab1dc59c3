import { z } from 'zod';
import { formatZodError, secTypeSchema } from '../../core/schemas';
import { runnerConfigSchema, type RunnerConfig } from '../config';
import type { ContractSpec, Fill, Order, Position, RejectReason, Trade } from '../../core/types';
import type { AnalyzerResults } from '../analyzers/createAnalyzers';
import { drawdownAnalysisSchema } from '../analyzers/drawdown';
import { exposureAnalysisSchema } from '../analyzers/exposure';
import { profitFactorAnalysisSchema } from '../analyzers/profitFactor';
import { count, epochMs, nullableNum, num } from '../analyzers/resultFields';
import { returnsAnalysisSchema } from '../analyzers/returns';
import { sharpeAnalysisSchema } from '../analyzers/sharpe';
import { countExitsByReason, tradesFiguresSchema } from '../analyzers/trades';
import { ORDER_REASONS } from '../../core/orders';
import { winRateAnalysisSchema } from '../analyzers/winRate';
import { isoUtc } from '../../core/time';

/**
 * The replay report: what `npm run replay -- … --json out.json` writes, what the summary table and the HTML
 * report read.
 *
 * Conventions (fixed, so consumers can rely on them):
 * - Time: every `…Ts` field is UTC epoch milliseconds (the canonical value); a `…Time` / `time` field beside
 *   it is the same instant as ISO 8601 UTC text, for people. A fill's `ts` is the start of the bar whose open
 *   (or through-price) filled the order; a trade's `entryTs` / `exitTs` are its opening and closing fills' `ts`.
 * - Quantities are in units (100,000 for one USDJPY contract), always positive; `side` carries the direction.
 * - Money: `pnl`, `pnlNet`, `grossPnl`, `netPnl`, `commission`, prices: the instrument's QUOTE currency;
 *   `…Account` fields and everything under `account`: the ACCOUNT currency.
 * - `totals` sums CLOSED trades only; `netPnlAccount` of a strategy is its whole result in the account
 *   currency at the end (realized and unrealized, net of commission), as the book reports it; `position` is
 *   the position left open at the end (`null` when flat).
 * - Numbers are full IEEE doubles, never rounded (rounding is for display only); a figure that does not exist
 *   (Sharpe of one day, profit factor without losses) is `null` with a `reason`.
 * - Deterministic: the same inputs give the same text, byte for byte; only the `run` block holds wall-clock
 *   figures. Keys come in the order of the schemas below (the builders copy every field in that order).
 */
export const REPORT_SCHEMA_VERSION = 2;

/** Every refusal reason, in the order reports list them. */
export const REJECT_REASONS = [
  'MAX_POSITION',
  'MAX_ORDER_SIZE',
  'MAX_GROSS_NOTIONAL',
  'MAX_DAILY_LOSS',
  'ORDER_RATE',
  'MAX_LOSS_PER_TRADE',
  'KILL_SWITCH',
  'FLATTENED',
  'DISCONNECTED',
  'BROKER',
] as const satisfies readonly RejectReason[];

// Fails to compile when core adds a reason this list lacks.
const everyReasonListed: Exclude<RejectReason, (typeof REJECT_REASONS)[number]> extends never ? true : false = true;
void everyReasonListed;

// The report's types are inferred from these schemas, which also read a saved report back (`parseReplayReport`).
// Objects are not strict: extra fields are allowed (and kept out of the parsed value), so older readers keep working.

const isoTime = z.iso.datetime();
const side = z.enum(['BUY', 'SELL']);
const orderReason = z.enum(ORDER_REASONS);

const reportTradeSchema = z
  .object({
    entryTs: epochMs,
    exitTs: epochMs,
    entryTime: isoTime,
    exitTime: isoTime,
    side: z.enum(['LONG', 'SHORT']),
    qty: num.positive(),
    entryPrice: num,
    exitPrice: num,
    pnl: num,
    pnlNet: num,
    pnlNetAccount: num,
    entryReason: orderReason,
    exitReason: orderReason,
  })
  .readonly();

const reportFillSchema = z
  .object({
    ts: epochMs,
    time: isoTime,
    side,
    qty: num.positive(),
    price: num,
    commission: num.nonnegative(),
    orderId: z.string(),
    execId: z.string(),
    reason: orderReason,
  })
  .readonly();

/** An order still working when the run ended (it never filled). */
const reportOrderSchema = z
  .object({
    id: z.string(),
    ts: epochMs,
    time: isoTime,
    side,
    qty: num.positive(),
    type: z.enum(['MARKET', 'LIMIT', 'STOP', 'STOP_LIMIT', 'TRAILING']),
    limitPrice: nullableNum,
    stopPrice: nullableNum,
    reason: orderReason,
  })
  .readonly();

const reportPositionSchema = z
  .object({
    ts: epochMs,
    time: isoTime,
    /** Signed units. */
    qty: num,
    avgPrice: num,
    realizedPnl: num,
    unrealizedPnl: num,
    realizedPnlAccount: num,
    unrealizedPnlAccount: num,
    commission: num,
  })
  .readonly();

/** The `trades` analyzer without its trade list (that is the strategy's `trades`). */
const { fills: tradeFills, commission: tradeCommission, exitsByReason: tradeExits, ...tradeCounts } = tradesFiguresSchema.shape;
const tradesSummarySchema = z
  .object({
    ...tradeCounts,
    best: reportTradeSchema.nullable(),
    worst: reportTradeSchema.nullable(),
    fills: tradeFills,
    commission: tradeCommission,
    exitsByReason: tradeExits,
  })
  .readonly();

const reportAnalyzersSchema = z
  .object({
    trades: tradesSummarySchema.optional(),
    returns: returnsAnalysisSchema.optional(),
    sharpe: sharpeAnalysisSchema.optional(),
    drawdown: drawdownAnalysisSchema.optional(),
    winRate: winRateAnalysisSchema.optional(),
    profitFactor: profitFactorAnalysisSchema.optional(),
    exposure: exposureAnalysisSchema.optional(),
  })
  .readonly();

/** Closed trades' sums, and their count by the reason of the fill that closed them (`exit`, `stop`, …). */
const reportTotalsSchema = z.object({ trades: count, grossPnl: num, netPnl: num, netPnlAccount: num, exitsByReason: tradeExits }).readonly();

/** Refused orders by reason code; every reason is written (0 when none), in a fixed order. */
const reportRejectionsSchema = z
  .object({
    total: count,
    // A reason added later reads as 0 in a report saved before it existed.
    byReason: z.object(Object.fromEntries(REJECT_REASONS.map((r) => [r, count.default(0)])) as Record<RejectReason, ReturnType<typeof count.default>>).readonly(),
  })
  .readonly();

const strategyReportSchema = z
  .object({
    id: z.string(),
    symbol: z.string(),
    quoteCurrency: z.string(),
    fills: z.array(reportFillSchema).readonly(),
    trades: z.array(reportTradeSchema).readonly(),
    totals: reportTotalsSchema,
    netPnlAccount: num,
    position: reportPositionSchema.nullable(),
    rejected: reportRejectionsSchema,
    workingOrders: z.array(reportOrderSchema).readonly(),
    analyzers: reportAnalyzersSchema,
  })
  .readonly();

const accountReportSchema = z
  .object({
    currency: z.string(),
    initialCash: num,
    finalEquity: num,
    /** finalEquity − initialCash. */
    netPnl: num,
    /** Analyzers of the account's equity curve. */
    analyzers: reportAnalyzersSchema,
  })
  .readonly();

const reportPeriodSchema = z.object({ firstBarTs: epochMs, lastBarTs: epochMs, firstBarTime: isoTime, lastBarTime: isoTime }).readonly();

const runStatsSchema = z
  .object({
    bars: count,
    wallMs: num.nonnegative(),
    /** bars / seconds of wall time; `null` when no time was measured. */
    barsPerSec: nullableNum,
  })
  .readonly();

/** A traded symbol's contract as the run used it (the venue fields left out). */
const reportContractSchema = z
  .object({
    symbol: z.string(),
    secType: secTypeSchema,
    baseCurrency: z.string(),
    quoteCurrency: z.string(),
    multiplier: num.positive(),
    tickSize: num.positive(),
    exchange: z.string(),
  })
  .readonly();

/** The data file a replay read: enough to find it again and to know it is the same file. */
const reportInputSchema = z
  .object({
    /** The file's name, without its directory (the report must not depend on where it was run). */
    file: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    bytes: count,
    symbol: z.string().nullable(),
    /** `--from` / `--to` when given. */
    from: epochMs.nullable(),
    to: epochMs.nullable(),
    /** The zone of timestamps written without one, when one was set. */
    timezone: z.string().nullable(),
  })
  .readonly();

/** The `--json` report. */
export const replayReportSchema = z
  .object({
    schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
    /** What ran: the input file (replays), the config with its defaults filled in, and the contracts traded. */
    input: reportInputSchema.optional(),
    /** A replay of several files (merged by event time): each of them, instead of `input`. */
    inputs: z.array(reportInputSchema).readonly().optional(),
    config: runnerConfigSchema.optional(),
    contracts: z.record(z.string(), reportContractSchema).optional(),
    account: accountReportSchema,
    /** The data replayed: first and last bar start times; `null` when no bar was read. */
    period: reportPeriodSchema.nullable(),
    strategies: z.array(strategyReportSchema).readonly(),
    run: runStatsSchema,
  })
  .readonly();

export type ReplayReport = z.infer<typeof replayReportSchema>;
export type ReportInput = z.infer<typeof reportInputSchema>;
export type AccountReport = z.infer<typeof accountReportSchema>;
export type ReportPeriod = z.infer<typeof reportPeriodSchema>;
export type StrategyReport = z.infer<typeof strategyReportSchema>;
export type ReportFill = z.infer<typeof reportFillSchema>;
export type ReportTrade = z.infer<typeof reportTradeSchema>;
export type ReportTotals = z.infer<typeof reportTotalsSchema>;
export type ReportPosition = z.infer<typeof reportPositionSchema>;
export type ReportRejections = z.infer<typeof reportRejectionsSchema>;
export type ReportOrder = z.infer<typeof reportOrderSchema>;
export type TradesSummary = z.infer<typeof tradesSummarySchema>;
export type ReportAnalyzers = z.infer<typeof reportAnalyzersSchema>;
export type RunStats = z.infer<typeof runStatsSchema>;

// ---------------------------------------------------------------------------------------------------------
// Building and writing.

/** What the runner knows about one strategy at the end of a run. */
export interface StrategyRunResult {
  readonly id: string;
  readonly symbol: string;
  readonly quoteCurrency: string;
  readonly fills: readonly Fill[];
  /** Closed trades, in closing order. */
  readonly trades: readonly Trade[];
  /** Realized + unrealized, net of commission, account currency (from the book). */
  readonly netPnlAccount: number;
  /** The final position (a flat one is reported as `null`). */
  readonly position?: Position | null;
  readonly rejected?: Readonly<Partial<Record<RejectReason, number>>>;
  readonly workingOrders?: readonly Order[];
  readonly analyzers?: AnalyzerResults;
}

export interface ReplayReportInput {
  readonly account: {
    readonly currency: string;
    readonly initialCash: number;
    readonly finalEquity: number;
    readonly analyzers?: AnalyzerResults;
  };
  readonly strategies: readonly StrategyRunResult[];
  readonly period?: { readonly firstBarTs: number; readonly lastBarTs: number } | null;
  readonly run: { readonly bars: number; readonly wallMs: number };
  /** The config as run (defaults filled in) and the contracts of the symbols traded, so the run can be repeated. */
  readonly config?: RunnerConfig;
  readonly contracts?: Readonly<Record<string, ContractSpec>>;
}

/**
 * Builds the report from what the runner collected, copying every field explicitly so the key order (and so
 * the JSON text) never depends on how upstream objects were built. Throws a RangeError naming the field
 * (e.g. `strategies[0].trades[3].pnl: …`) when a number is not finite: a broken figure is never written
 * silently.
 */
export function buildReplayReport(input: ReplayReportInput): ReplayReport {
  const { account, run } = input;
  const report: ReplayReport = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    ...(input.config === undefined ? {} : { config: input.config }),
    ...(input.contracts === undefined
      ? {}
      : {
          contracts: Object.fromEntries(
            Object.entries(input.contracts).map(([symbol, c]) => [
              symbol,
              { symbol: c.symbol, secType: c.secType, baseCurrency: c.baseCurrency, quoteCurrency: c.quoteCurrency, multiplier: c.multiplier, tickSize: c.tickSize, exchange: c.exchange },
            ]),
          ),
        }),
    account: {
      currency: account.currency,
      initialCash: account.initialCash,
      finalEquity: account.finalEquity,
      netPnl: account.finalEquity - account.initialCash,
      analyzers: reportAnalyzers(account.analyzers),
    },
    period: input.period
      ? {
          firstBarTs: input.period.firstBarTs,
          lastBarTs: input.period.lastBarTs,
          firstBarTime: isoUtc(input.period.firstBarTs),
          lastBarTime: isoUtc(input.period.lastBarTs),
        }
      : null,
    strategies: input.strategies.map(strategyReport),
    run: { bars: run.bars, wallMs: run.wallMs, barsPerSec: run.wallMs > 0 ? run.bars / (run.wallMs / 1000) : null },
  };
  assertFiniteNumbers(report, '');
  return report;
}

/**
 * Walks the built report and throws on the first number that is not finite, naming its path. The types
 * already fix the shape; a NaN or ±Infinity is what could still slip in (and `JSON.stringify` would turn it
 * into `null` silently). A walk, not `replayReportSchema.parse`: it is ~20× cheaper on a report with
 * hundreds of thousands of trades.
 */
function assertFiniteNumbers(value: unknown, path: string): void {
  // The walk builds no path (a report has ~10 fields per fill and trade: half a million strings for a busy
  // year, measured at a third of the report's CPU); the failure's path is found again once one is known.
  if (!allFinite(value)) {
    const found = firstNonFinite(value, path);
    throw new RangeError(`replay report: ${found.path || '(root)'}: expected a finite number, got ${found.value}`);
  }
}

function allFinite(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!allFinite(value[i])) return false;
  } else if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) if (!allFinite((value as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/** The path and value of the first number that is not finite, in the order `allFinite` walks. */
function firstNonFinite(value: unknown, path: string): { path: string; value: number } {
  if (typeof value === 'number') return { path, value };
  if (Array.isArray(value)) {
    const i = value.findIndex((item) => !allFinite(item));
    return firstNonFinite(value[i], `${path}[${i}]`);
  }
  const record = value as Record<string, unknown>;
  const key = Object.keys(record).find((k) => !allFinite(record[k]))!;
  return firstNonFinite(record[key], path ? `${path}.${key}` : key);
}

/** The report with the input file it read (`input`), or the files (`inputs`), placed right after `schemaVersion`. */
export function withReportInput(report: ReplayReport, input: ReportInput | readonly ReportInput[]): ReplayReport {
  const { schemaVersion, ...rest } = report;
  return isInputList(input) ? { schemaVersion, inputs: input.map((i) => ({ ...i })), ...rest } : { schemaVersion, input: { ...input }, ...rest };
}

function isInputList(input: ReportInput | readonly ReportInput[]): input is readonly ReportInput[] {
  return Array.isArray(input);
}

/** The report as JSON text: 2-space indentation (0 for one line), a final newline. Same report → same text. */
export function serializeReport(report: ReplayReport, indent = 2): string {
  return `${JSON.stringify(report, null, indent > 0 ? indent : undefined)}\n`;
}

/** Reads a report back (e.g. to render HTML from a saved `--json`); errors name the field. */
export function parseReplayReport(text: string, source = 'report'): ReplayReport {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new SyntaxError(`${source}: not JSON (${(error as Error).message})`);
  }
  const parsed = replayReportSchema.safeParse(raw);
  if (!parsed.success) throw new RangeError(`${source}: ${formatZodError(parsed.error)}`);
  return parsed.data;
}

function strategyReport(s: StrategyRunResult): StrategyReport {
  let grossPnl = 0;
  let netPnl = 0;
  let netPnlAccount = 0;
  for (const t of s.trades) {
    grossPnl += t.pnl;
    netPnl += t.pnlNet;
    netPnlAccount += t.pnlNetAccount;
  }
  const byReason = {} as Record<RejectReason, number>;
  let total = 0;
  for (const reason of REJECT_REASONS) {
    const n = s.rejected?.[reason] ?? 0;
    byReason[reason] = n;
    total += n;
  }
  const p = s.position;
  return {
    id: s.id,
    symbol: s.symbol,
    quoteCurrency: s.quoteCurrency,
    fills: s.fills.map(reportFill),
    trades: s.trades.map(reportTrade),
    totals: { trades: s.trades.length, grossPnl, netPnl, netPnlAccount, exitsByReason: countExitsByReason(s.trades) },
    netPnlAccount: s.netPnlAccount,
    position:
      p && p.qty !== 0
        ? {
            ts: p.ts,
            time: isoUtc(p.ts),
            qty: p.qty,
            avgPrice: p.avgPrice,
            realizedPnl: p.realizedPnl,
            unrealizedPnl: p.unrealizedPnl,
            realizedPnlAccount: p.realizedPnlAccount,
            unrealizedPnlAccount: p.unrealizedPnlAccount,
            commission: p.commission,
          }
        : null,
    rejected: { total, byReason },
    workingOrders: (s.workingOrders ?? []).map((o) => ({
      id: o.id,
      ts: o.ts,
      time: isoUtc(o.ts),
      side: o.side,
      qty: o.qty,
      type: o.type,
      limitPrice: o.limitPrice ?? null,
      stopPrice: o.stopPrice ?? null,
      reason: o.reason,
    })),
    analyzers: reportAnalyzers(s.analyzers),
  };
}

function reportFill(f: Fill): ReportFill {
  return {
    ts: f.ts,
    time: isoUtc(f.ts),
    side: f.side,
    qty: f.qty,
    price: f.price,
    commission: f.commission,
    orderId: f.orderId,
    execId: f.execId,
    reason: f.reason,
  };
}

/** A trade as the report writes it. */
export function reportTrade(t: Trade): ReportTrade {
  return {
    entryTs: t.entryTs,
    exitTs: t.exitTs,
    entryTime: isoUtc(t.entryTs),
    exitTime: isoUtc(t.exitTs),
    side: t.side,
    qty: t.qty,
    entryPrice: t.entryPrice,
    exitPrice: t.exitPrice,
    pnl: t.pnl,
    pnlNet: t.pnlNet,
    pnlNetAccount: t.pnlNetAccount,
    entryReason: t.entryReason,
    exitReason: t.exitReason,
  };
}

/** Analyzer results in report form: canonical key order, the trade list left out (it is the strategy's `trades`). */
function reportAnalyzers(results: AnalyzerResults | undefined): ReportAnalyzers {
  if (!results) return {};
  const out: { -readonly [K in keyof ReportAnalyzers]: ReportAnalyzers[K] } = {};
  if (results.trades) {
    const t = results.trades;
    out.trades = {
      count: t.count,
      long: t.long,
      short: t.short,
      grossPnl: t.grossPnl,
      netPnl: t.netPnl,
      netPnlAccount: t.netPnlAccount,
      avgPnl: t.avgPnl,
      avgPnlNet: t.avgPnlNet,
      best: t.best ? reportTrade(t.best) : null,
      worst: t.worst ? reportTrade(t.worst) : null,
      fills: t.fills,
      commission: t.commission,
      exitsByReason: t.exitsByReason,
    };
  }
  if (results.returns) out.returns = results.returns;
  if (results.sharpe) out.sharpe = results.sharpe;
  if (results.drawdown) out.drawdown = results.drawdown;
  if (results.winRate) out.winRate = results.winRate;
  if (results.profitFactor) out.profitFactor = results.profitFactor;
  if (results.exposure) out.exposure = results.exposure;
  return out;
}

