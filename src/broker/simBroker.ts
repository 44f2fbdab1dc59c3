import { Subject } from 'rxjs';
import type { Bar, ContractBook, ContractSpec, ExecutionEvent, Fill, Order, OrderEvent } from '../core/types';
import type { Broker } from './types';
import { zeroCommission, type CommissionModel } from './commission';

export interface SimBrokerOptions {
  readonly contracts: ContractBook;
  /** Commission per fill in the quote currency; none by default. */
  readonly commission?: CommissionModel;
  /** Adverse slippage in ticks of the contract's `tickSize` (buy pays up, sell receives less); 0 by default. */
  readonly slippageTicks?: number;
  readonly name?: string;
}

interface WorkingOrder {
  readonly order: Order;
  readonly spec: ContractSpec;
  /** Filled or cancelled: skipped, and dropped from its symbol's list on the next bar of that symbol. */
  done: boolean;
}

/**
 * The replay broker: fills orders from the bars themselves, with Backtrader's BackBroker semantics.
 *
 * The runner calls `onBar(bar)` for every bar BEFORE any strategy sees it; the broker then tries every
 * working order of `bar.symbol` placed before the bar started (`order.ts ≤ bar.ts`), in placement order:
 * - MARKET: fills at the bar's open, slipped adversely by `slippageTicks` but never beyond the bar's
 *   high (buy) / low (sell) (Backtrader's `slip_match`). A market order decided on the close of bar t
 *   therefore fills at the open of bar t+1 of that symbol; one decided on the last bar never fills.
 * - LIMIT: a buy fills when the bar trades at or below the limit: at the open if the bar opened there
 *   (a gap through the limit: the better price), else at the limit. Sell mirrors. No slippage beyond the
 *   limit.
 * - STOP: a buy triggers when the bar trades at or above the stop: at the open if the bar opened there
 *   (gap: the worse price), else at the stop; slipped adversely within the bar's range. Sell mirrors.
 *
 * Events, all synchronous on `events$`: `Submitted` when placed (the risk gate already emitted
 * `Accepted`), then a `Fill` (execId `${orderId}.1`, ts = start of the filling bar) followed by `Filled`;
 * `Cancelled` on `cancel`. An order the broker cannot take (unknown symbol, bad quantity or price) becomes
 * a `Rejected` event with reason `BROKER`. Fills are whole: bars carry no depth to split them on.
 */
export function createSimBroker(options: SimBrokerOptions): Broker {
  const { contracts } = options;
  const commission = options.commission ?? zeroCommission;
  const slippageTicks = options.slippageTicks ?? 0;
  if (!Number.isFinite(slippageTicks) || slippageTicks < 0) {
    throw new RangeError(`slippageTicks must be a finite number ≥ 0, got ${slippageTicks}`);
  }
  const events = new Subject<ExecutionEvent>();
  /** Working orders by id, for `cancel`. */
  const working = new Map<string, WorkingOrder>();
  /** Working orders per symbol in placement order; the hot path looks here only when `workingCount > 0`. */
  const bySymbol = new Map<string, WorkingOrder[]>();
  let workingCount = 0;
  /** The sim's clock: end of the last bar seen (a decision made after it happens at that time). */
  let now = 0;

  const emitOrder = (status: OrderEvent['status'], order: Order, ts: number, filledQty?: number): void => {
    const event: OrderEvent =
      filledQty === undefined ? { kind: 'order', status, order, ts } : { kind: 'order', status, order, ts, filledQty };
    events.next(event);
  };

  const reject = (order: Order, message: string): void => {
    events.next({ kind: 'order', status: 'Rejected', order, ts: order.ts, reason: 'BROKER', message });
  };

  const place = (order: Order): void => {
    const spec = contracts[order.symbol];
    if (spec === undefined) return reject(order, `unknown symbol "${order.symbol}"`);
    if (working.has(order.id)) return reject(order, `duplicate order id "${order.id}"`);
    if (!(order.qty > 0) || !Number.isFinite(order.qty)) return reject(order, `qty must be a finite number > 0, got ${order.qty}`);
    if (order.type === 'LIMIT' && !(order.limitPrice !== undefined && order.limitPrice > 0)) {
      return reject(order, 'a LIMIT order needs limitPrice > 0');
    }
    if (order.type === 'STOP' && !(order.stopPrice !== undefined && order.stopPrice > 0)) {
      return reject(order, 'a STOP order needs stopPrice > 0');
    }
    const entry: WorkingOrder = { order, spec, done: false };
    working.set(order.id, entry);
    let list = bySymbol.get(order.symbol);
    if (list === undefined) {
      list = [];
      bySymbol.set(order.symbol, list);
    }
    list.push(entry);
    workingCount++;
    emitOrder('Submitted', order, order.ts);
  };

  const cancel = (orderId: string): void => {
    const entry = working.get(orderId);
    // Unknown or already finished: nothing is working, so there is nothing to cancel (a live broker answers
    // the same race with an error message; here it is not an event).
    if (entry === undefined) return;
    working.delete(orderId);
    entry.done = true;
    workingCount--;
    emitOrder('Cancelled', entry.order, Math.max(now, entry.order.ts));
  };

  const onBar = (bar: Bar): void => {
    const end = bar.ts + bar.intervalMs;
    if (end > now) now = end;
    if (workingCount === 0) return;
    const list = bySymbol.get(bar.symbol);
    if (list === undefined || list.length === 0) return;
    // Compacted in place. A fill's subscribers may place (appended past `n`: tried from the next bar on) or
    // cancel (marked done) re-entrantly.
    const n = list.length;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const entry = list[i];
      if (entry.done) continue;
      const price = entry.order.ts > bar.ts ? undefined : fillPrice(entry, bar, slippageTicks);
      if (price === undefined) {
        list[kept++] = entry;
        continue;
      }
      entry.done = true;
      working.delete(entry.order.id);
      workingCount--;
      const { order } = entry;
      const fill: Fill = {
        kind: 'fill',
        execId: `${order.id}.1`,
        orderId: order.id,
        strategyId: order.strategyId,
        symbol: order.symbol,
        ts: bar.ts,
        side: order.side,
        qty: order.qty,
        price,
        commission: commission(order.qty, price, entry.spec),
      };
      events.next(fill);
      emitOrder('Filled', order, bar.ts, order.qty);
    }
    for (let i = n; i < list.length; i++) list[kept++] = list[i];
    list.length = kept;
  };

  return {
    name: options.name ?? 'sim',
    events$: events.asObservable(),
    place,
    cancel,
    onBar,
    close: () => events.complete(),
  };
}

/** The price `entry` fills at on `bar`, or undefined when the bar does not reach it. */
function fillPrice(entry: WorkingOrder, bar: Bar, slippageTicks: number): number | undefined {
  const { order, spec } = entry;
  const buy = order.side === 'BUY';
  switch (order.type) {
    case 'MARKET':
      return slipped(bar.open, buy, slippageTicks, spec.tickSize, bar);
    case 'LIMIT': {
      const limit = order.limitPrice as number;
      if (buy) {
        if (bar.open <= limit) return Math.min(slipped(bar.open, true, slippageTicks, spec.tickSize, bar), limit);
        return bar.low <= limit ? limit : undefined;
      }
      if (bar.open >= limit) return Math.max(slipped(bar.open, false, slippageTicks, spec.tickSize, bar), limit);
      return bar.high >= limit ? limit : undefined;
    }
    case 'STOP': {
      const stop = order.stopPrice as number;
      if (buy) {
        if (bar.open >= stop) return slipped(bar.open, true, slippageTicks, spec.tickSize, bar);
        return bar.high >= stop ? slipped(stop, true, slippageTicks, spec.tickSize, bar) : undefined;
      }
      if (bar.open <= stop) return slipped(bar.open, false, slippageTicks, spec.tickSize, bar);
      return bar.low <= stop ? slipped(stop, false, slippageTicks, spec.tickSize, bar) : undefined;
    }
  }
}

/**
 * `price` moved `ticks` ticks against the trader, capped at the bar's high (buy) / low (sell). Computed on
 * the tick grid (integer ticks, then one division) so 150.000 + 2 ticks of 0.001 is the double nearest to
 * 150.002, not 150.00199999999998.
 */
export function slipped(price: number, buy: boolean, ticks: number, tickSize: number, bar: Bar): number {
  if (ticks === 0) return price;
  const out = addTicks(price, buy ? ticks : -ticks, tickSize);
  return buy ? Math.min(out, bar.high) : Math.max(out, bar.low);
}

export function addTicks(price: number, ticks: number, tickSize: number): number {
  const perUnit = Math.round(1 / tickSize);
  if (tickSize < 1 && Math.abs(perUnit * tickSize - 1) < 1e-9) {
    const scaled = price * perUnit;
    const onGrid = Math.round(scaled);
    const base = Math.abs(scaled - onGrid) < 1e-6 ? onGrid : scaled;
    return (base + ticks) / perUnit;
  }
  return price + ticks * tickSize;
}
