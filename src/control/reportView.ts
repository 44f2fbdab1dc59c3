import { readFileSync } from 'node:fs';
import { DataError } from '../core/errors';
import type { Bar, ContractBook, Fill, Order, Position } from '../core/types';
import { createBook } from '../portfolio/book';
import { parseReplayReport, type ReplayReport } from '../runner/report/replayReport';
import type { ControlState } from './control';
import { createReadOnlyView, stepOrder, type ViewStep } from './readOnlyView';

export interface ReportViewOptions {
  /** Contract specs; the report's own (those the run used) win for the symbols it traded. */
  readonly contracts: ContractBook;
  /**
   * Bars to draw (e.g. the replayed file around the fills), in time order; the book is marked with them, so the
   * equity after each fill has the open positions at the close before it. Without them the chart has the fills'
   * prices only, and the equity after a fill counts open positions at their entry price.
   */
  readonly bars?: readonly Bar[];
  /** The report's file, named in errors. */
  readonly source?: string;
}

const DAY_MS = 86_400_000;
/** How far the view's final figures may be from the report's, relatively (rounding of the same sums). */
const TOLERANCE = 1e-9;

/**
 * A replay read back from its `--json` report as a read-only control state, for the same dashboard and API a
 * live engine serves (`npm run dashboard -- --report report.json`). The report's fills of every strategy are
 * booked again, in time order, on a book like the run's (its account currency and initial cash, its contracts),
 * marked with `bars` when given; each becomes a fill event followed by the book with the equity after it. At the
 * end each open position is marked at the run's last close (the one its unrealized PnL was computed at), so the
 * positions, PnL and equity shown are the report's; a report whose fills do not add up to its positions or its
 * final equity is refused (`DataError`). Working orders are those the report left. Kill, flatten and resume throw
 * `ReadOnlyError`.
 */
export function createReportView(report: ReplayReport, options: ReportViewOptions): ControlState {
  const book = createBook({ contracts: { ...options.contracts, ...report.contracts }, accountCurrency: report.account.currency, initialCash: report.account.initialCash });
  const fills: Fill[] = [];
  for (const s of report.strategies) {
    book.track(s.id, s.symbol);
    for (const f of s.fills) {
      fills.push({ kind: 'fill', execId: f.execId, orderId: f.orderId, strategyId: s.id, symbol: s.symbol, ts: f.ts, side: f.side, qty: f.qty, price: f.price, commission: f.commission, reason: f.reason });
    }
  }
  const working: Order[] = report.strategies.flatMap((s) =>
    s.workingOrders.map((o): Order => ({
      id: o.id,
      strategyId: s.id,
      symbol: s.symbol,
      ts: o.ts,
      side: o.side,
      qty: o.qty,
      type: o.type,
      ...(o.limitPrice === null ? {} : { limitPrice: o.limitPrice }),
      ...(o.stopPrice === null ? {} : { stopPrice: o.stopPrice }),
      reason: o.reason,
    })),
  );

  // The run marked the bar closing at T before it filled orders at T's open: at one time, a bar goes first, then
  // the fills in the report's order. Bars drawn from the fills' prices do not mark the book, and follow them.
  const drawn = options.bars ?? fillPriceBars(fills);
  const marks = options.bars !== undefined;
  const last = finalMarks(report, options.bars, drawn);
  const ordered: ViewStep[] = [
    ...fills.map((fill, i): ViewStep => ({ kind: 'fill', ts: fill.ts, seq: i + 1, fill })),
    ...drawn
      // A final mark's bar is drawn once, as the mark.
      .filter((bar) => !last.includes(bar))
      .map((bar): ViewStep => ({ kind: 'bar', ts: bar.ts + bar.intervalMs, seq: marks ? 0 : Number.MAX_SAFE_INTEGER, bar })),
  ].sort(stepOrder);
  const steps: ViewStep[] = ordered.map((step) => {
    if (step.kind === 'fill') {
      book.applyFill(step.fill);
      return { ...step, equity: book.equity() };
    }
    if (step.kind === 'bar' && marks) book.mark(step.bar);
    return step;
  });
  for (const bar of last) {
    const equity = book.mark(bar);
    steps.push({ kind: 'mark', ts: bar.ts + bar.intervalMs, seq: Number.MAX_SAFE_INTEGER, bar, equity });
  }
  checkAgainstReport(report, book.positions(), book.equity(), options.source);

  return createReadOnlyView({
    mode: 'report',
    accountCurrency: report.account.currency,
    strategyIds: report.strategies.map((s) => s.id),
    readPositions: () => book.positions(),
    workingOrders: working,
    steps,
  });
}

/** Reads and validates a replay's `--json` report; a bad one is a `DataError` naming the file and the field. */
export function readReplayReport(file: string): ReplayReport {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new DataError('cannot be read', { file }, (error as Error).message);
  }
  try {
    return parseReplayReport(text, file);
  } catch (error) {
    throw new DataError(`not a replay report: ${(error as Error).message}`);
  }
}

/**
 * One bar a fill time, from the prices filled at it (open: the first, close: the last). Their interval divides
 * every fill time and a day, so each fill's marker falls on its bar.
 */
function fillPriceBars(fills: readonly Fill[]): Bar[] {
  const intervalMs = fills.reduce((g, f) => gcd(g, f.ts), DAY_MS);
  const bars = new Map<string, Bar>();
  for (const f of [...fills].sort((a, b) => a.ts - b.ts)) {
    const key = `${f.symbol}@${f.ts}`;
    const bar = bars.get(key);
    bars.set(
      key,
      bar === undefined
        ? { kind: 'bar', symbol: f.symbol, ts: f.ts, intervalMs, open: f.price, high: f.price, low: f.price, close: f.price, volume: 0 }
        : { ...bar, high: Math.max(bar.high, f.price), low: Math.min(bar.low, f.price), close: f.price },
    );
  }
  return [...bars.values()];
}

function gcd(a: number, b: number): number {
  let [x, y] = [Math.abs(a), Math.abs(b)];
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

/**
 * The last close of each symbol a position is left open in, at the report's last bar: the bar from `bars` when
 * they hold it, else one priced from the position (its unrealized PnL is quantity × (last close − average price)).
 */
function finalMarks(report: ReplayReport, bars: readonly Bar[] | undefined, drawn: readonly Bar[]): Bar[] {
  const out = new Map<string, Bar>();
  for (const s of report.strategies) {
    const p = s.position;
    if (p === null || out.has(s.symbol)) continue;
    const ts = report.period?.lastBarTs ?? p.ts;
    const given = bars?.find((b) => b.symbol === s.symbol && b.ts === ts);
    const intervalMs = drawn.findLast((b) => b.symbol === s.symbol)?.intervalMs ?? DAY_MS;
    const close = p.avgPrice + p.unrealizedPnl / p.qty;
    out.set(s.symbol, given ?? { kind: 'bar', symbol: s.symbol, ts, intervalMs, open: close, high: close, low: close, close, volume: 0 });
  }
  return [...out.values()];
}

/** Refuses a report whose fills do not book into its own positions and final equity. */
function checkAgainstReport(report: ReplayReport, positions: readonly Position[], equity: number, file: string | undefined): void {
  report.strategies.forEach((s, i) => {
    const qty = positions.find((p) => p.strategyId === s.id && p.symbol === s.symbol)?.qty ?? 0;
    const want = s.position?.qty ?? 0;
    if (Math.abs(qty - want) > TOLERANCE * Math.max(1, Math.abs(want))) {
      throw new DataError(`its fills book a position of ${qty}, the report says ${want}`, { file, field: `strategies[${i}].position.qty` });
    }
  });
  const want = report.account.finalEquity;
  if (Math.abs(equity - want) > TOLERANCE * Math.max(1, Math.abs(want))) {
    throw new DataError(`its fills book a final equity of ${equity}, the report says ${want}`, { file, field: 'account.finalEquity' });
  }
}
