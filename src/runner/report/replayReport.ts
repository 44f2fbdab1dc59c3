import { z } from 'zod';
import { formatZodError } from '../../core/schemas';
import type { Fill, Order, OrderType, Position, RejectReason, Side, Trade } from '../../core/types';
import type { AnalyzerResults } from '../analyzers/createAnalyzers';
import type { DrawdownAnalysis } from '../analyzers/drawdown';
import type { ExposureAnalysis } from '../analyzers/exposure';
import type { ProfitFactorAnalysis } from '../analyzers/profitFactor';
import type { ReturnsAnalysis } from '../analyzers/returns';
import type { SharpeAnalysis } from '../analyzers/sharpe';
import type { TradesAnalysis } from '../analyzers/trades';
import type { WinRateAnalysis } from '../analyzers/winRate';
import { isoUtc } from './format';

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
 *   figures. Keys come in the order of the types below.
 */
export interface ReplayReport {
  readonly schemaVersion: typeof REPORT_SCHEMA_VERSION;
  readonly account: AccountReport;
  /** The data replayed: first and last bar start times; `null` when no bar was read. */
  readonly period: ReportPeriod | null;
  readonly strategies: readonly StrategyReport[];
  readonly run: RunStats;
}

export const REPORT_SCHEMA_VERSION = 1;

export interface AccountReport {
  readonly currency: string;
  readonly initialCash: number;
  readonly finalEquity: number;
  /** finalEquity − initialCash. */
  readonly netPnl: number;
  /** Analyzers of the account's equity curve. */
  readonly analyzers: ReportAnalyzers;
}

export interface ReportPeriod {
  readonly firstBarTs: number;
  readonly lastBarTs: number;
  readonly firstBarTime: string;
  readonly lastBarTime: string;
}

export interface StrategyReport {
  readonly id: string;
  readonly symbol: string;
  readonly quoteCurrency: string;
  readonly fills: readonly ReportFill[];
  readonly trades: readonly ReportTrade[];
  readonly totals: ReportTotals;
  readonly netPnlAccount: number;
  readonly position: ReportPosition | null;
  readonly rejected: ReportRejections;
  readonly workingOrders: readonly ReportOrder[];
  readonly analyzers: ReportAnalyzers;
}

export interface ReportFill {
  readonly ts: number;
  readonly time: string;
  readonly side: Side;
  readonly qty: number;
  readonly price: number;
  readonly commission: number;
  readonly orderId: string;
  readonly execId: string;
}

export interface ReportTrade {
  readonly entryTs: number;
  readonly exitTs: number;
  readonly entryTime: string;
  readonly exitTime: string;
  readonly side: 'LONG' | 'SHORT';
  readonly qty: number;
  readonly entryPrice: number;
  readonly exitPrice: number;
  readonly pnl: number;
  readonly pnlNet: number;
  readonly pnlNetAccount: number;
}

export interface ReportTotals {
  readonly trades: number;
  readonly grossPnl: number;
  readonly netPnl: number;
  readonly netPnlAccount: number;
}

export interface ReportPosition {
  readonly ts: number;
  readonly time: string;
  /** Signed units. */
  readonly qty: number;
  readonly avgPrice: number;
  readonly realizedPnl: number;
  readonly unrealizedPnl: number;
  readonly realizedPnlAccount: number;
  readonly unrealizedPnlAccount: number;
  readonly commission: number;
}

/** Refused orders by reason code; every reason is present (0 when none), in a fixed order. */
export interface ReportRejections {
  readonly total: number;
  readonly byReason: Readonly<Record<RejectReason, number>>;
}

/** An order still working when the run ended (it never filled). */
export interface ReportOrder {
  readonly id: string;
  readonly ts: number;
  readonly time: string;
  readonly side: Side;
  readonly qty: number;
  readonly type: OrderType;
  readonly limitPrice: number | null;
  readonly stopPrice: number | null;
}

/** The `trades` analyzer without its trade list (that is the strategy's `trades`). */
export type TradesSummary = Omit<TradesAnalysis, 'list' | 'best' | 'worst'> & {
  readonly best: ReportTrade | null;
  readonly worst: ReportTrade | null;
};

export interface ReportAnalyzers {
  readonly trades?: TradesSummary;
  readonly returns?: ReturnsAnalysis;
  readonly sharpe?: SharpeAnalysis;
  readonly drawdown?: DrawdownAnalysis;
  readonly winRate?: WinRateAnalysis;
  readonly profitFactor?: ProfitFactorAnalysis;
  readonly exposure?: ExposureAnalysis;
}

export interface RunStats {
  readonly bars: number;
  readonly wallMs: number;
  /** bars / seconds of wall time; `null` when no time was measured. */
  readonly barsPerSec: number | null;
}

/** Every refusal reason, in the order reports list them. */
export const REJECT_REASONS = [
  'MAX_POSITION',
  'MAX_ORDER_SIZE',
  'MAX_GROSS_NOTIONAL',
  'MAX_DAILY_LOSS',
  'ORDER_RATE',
  'KILL_SWITCH',
  'DISCONNECTED',
  'BROKER',
] as const satisfies readonly RejectReason[];

// Fails to compile when core adds a reason this list lacks.
const everyReasonListed: Exclude<RejectReason, (typeof REJECT_REASONS)[number]> extends never ? true : false = true;
void everyReasonListed;

// ---------------------------------------------------------------------------------------------------------
// Schemas (for reading a report back, and for checking one before it is written).

const num = z.number();
const nullableNum = num.nullable();
const epochMs = z.number().int();
const isoTime = z.iso.datetime();
const side = z.enum(['BUY', 'SELL']);

const reportTradeSchema = z.object({
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
});

const reportFillSchema = z.object({
  ts: epochMs,
  time: isoTime,
  side,
  qty: num.positive(),
  price: num,
  commission: num.nonnegative(),
  orderId: z.string(),
  execId: z.string(),
});

const reportOrderSchema = z.object({
  id: z.string(),
  ts: epochMs,
  time: isoTime,
  side,
  qty: num.positive(),
  type: z.enum(['MARKET', 'LIMIT', 'STOP']),
  limitPrice: nullableNum,
  stopPrice: nullableNum,
});

const reportPositionSchema = z.object({
  ts: epochMs,
  time: isoTime,
  qty: num,
  avgPrice: num,
  realizedPnl: num,
  unrealizedPnl: num,
  realizedPnlAccount: num,
  unrealizedPnlAccount: num,
  commission: num,
});

const reasonText = z.string().nullable();

const tradesSummarySchema = z.object({
  count: z.number().int().nonnegative(),
  long: z.number().int().nonnegative(),
  short: z.number().int().nonnegative(),
  grossPnl: num,
  netPnl: num,
  netPnlAccount: num,
  avgPnl: nullableNum,
  avgPnlNet: nullableNum,
  best: reportTradeSchema.nullable(),
  worst: reportTradeSchema.nullable(),
  fills: z.number().int().nonnegative(),
  commission: num,
});

const returnsSchema = z.object({
  initialEquity: num,
  finalEquity: num,
  totalReturn: nullableNum,
  annualizedReturn: nullableNum,
  reason: reasonText,
  days: z.number().int().nonnegative(),
  periodsPerYear: num.positive(),
  daily: z.array(z.object({ date: z.iso.date(), closeTs: epochMs, equity: num, return: nullableNum })),
});

const sharpeSchema = z.object({
  sharpe: nullableNum,
  reason: reasonText,
  days: z.number().int().nonnegative(),
  meanDailyReturn: nullableNum,
  stdDailyReturn: nullableNum,
  periodsPerYear: num.positive(),
  riskFreeRate: z.literal(0),
});

const nullableTs = epochMs.nullable();
const drawdownSchema = z.object({
  maxDrawdown: num.nonnegative(),
  peakTs: nullableTs,
  troughTs: nullableTs,
  maxDrawdownPct: num.nonnegative(),
  pctPeakTs: nullableTs,
  pctTroughTs: nullableTs,
  longestDurationMs: num.nonnegative(),
  longestBars: z.number().int().nonnegative(),
  longestStartTs: nullableTs,
  longestEndTs: nullableTs,
  longestRecovered: z.boolean(),
  drawdown: num.nonnegative(),
  drawdownPct: num.nonnegative(),
});

const winRateSchema = z.object({
  trades: z.number().int().nonnegative(),
  wins: z.number().int().nonnegative(),
  losses: z.number().int().nonnegative(),
  breakeven: z.number().int().nonnegative(),
  winRate: nullableNum,
  reason: reasonText,
  avgWin: nullableNum,
  avgLoss: nullableNum,
  maxConsecutiveWins: z.number().int().nonnegative(),
  maxConsecutiveLosses: z.number().int().nonnegative(),
});

const profitFactorSchema = z.object({ profitFactor: nullableNum, reason: reasonText, grossWins: num, grossLosses: num });

const exposureSchema = z.object({
  bars: z.number().int().nonnegative(),
  exposedBars: z.number().int().nonnegative(),
  exposure: nullableNum,
  reason: reasonText,
});

const reportAnalyzersSchema = z.object({
  trades: tradesSummarySchema.optional(),
  returns: returnsSchema.optional(),
  sharpe: sharpeSchema.optional(),
  drawdown: drawdownSchema.optional(),
  winRate: winRateSchema.optional(),
  profitFactor: profitFactorSchema.optional(),
  exposure: exposureSchema.optional(),
});

const count = z.number().int().nonnegative();

const strategyReportSchema = z.object({
  id: z.string(),
  symbol: z.string(),
  quoteCurrency: z.string(),
  fills: z.array(reportFillSchema),
  trades: z.array(reportTradeSchema),
  totals: z.object({ trades: count, grossPnl: num, netPnl: num, netPnlAccount: num }),
  netPnlAccount: num,
  position: reportPositionSchema.nullable(),
  rejected: z.object({
    total: count,
    byReason: z.object(Object.fromEntries(REJECT_REASONS.map((r) => [r, count])) as Record<RejectReason, typeof count>),
  }),
  workingOrders: z.array(reportOrderSchema),
  analyzers: reportAnalyzersSchema,
});

/** The `--json` report. Extra fields are allowed (and kept out of the parsed value), so older readers keep working. */
export const replayReportSchema: z.ZodType<ReplayReport> = z.object({
  schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
  account: z.object({
    currency: z.string(),
    initialCash: num,
    finalEquity: num,
    netPnl: num,
    analyzers: reportAnalyzersSchema,
  }),
  period: z.object({ firstBarTs: epochMs, lastBarTs: epochMs, firstBarTime: isoTime, lastBarTime: isoTime }).nullable(),
  strategies: z.array(strategyReportSchema),
  run: z.object({ bars: count, wallMs: num.nonnegative(), barsPerSec: nullableNum }),
});

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
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`replay report: ${path || '(root)'}: expected a finite number, got ${value}`);
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) assertFiniteNumbers(value[i], `${path}[${i}]`);
  } else if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) assertFiniteNumbers((value as Record<string, unknown>)[key], path ? `${path}.${key}` : key);
  }
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
    totals: { trades: s.trades.length, grossPnl, netPnl, netPnlAccount },
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

