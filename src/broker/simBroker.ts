import { Subject } from 'rxjs';
import { orderPriceProblem, trailingStopFrom } from '../core/orders';
import { addTicks } from '../core/ticks';
import type { Bar, CancelReason, ContractBook, ContractSpec, ExecutionEvent, Fill, Order, OrderEvent } from '../core/types';
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
  /** The current version (a modification replaces it). */
  order: Order;
  readonly spec: ContractSpec;
  /** Filled or cancelled: skipped, and dropped from its symbol's list on the next bar of that symbol. */
  done: boolean;
  /**
   * Start of the first bar it may fill on: its decision time; for a protective child NaN while its parent has
   * not filled, then the end of the parent's filling bar (so it is first checked on the next bar).
   */
  activeFrom: number;
  /** STOP_LIMIT: the stop has triggered; from now on it is a limit order. */
  triggered: boolean;
  /** TRAILING: the stop now (it only ever moves toward the price). */
  stop: number;
  /** Protective children held until this order fills. */
  children: WorkingOrder[] | undefined;
}

/**
 * The replay broker: fills orders from the bars themselves, with Backtrader 1.9's BackBroker semantics.
 *
 * The runner calls `onBar(bar)` for every bar BEFORE any strategy sees it; the broker then tries every
 * working order of `bar.symbol` that may fill on the bar (decided at or before its start), in placement order:
 * - MARKET: fills at the bar's open, slipped adversely by `slippageTicks` but never beyond the bar's
 *   high (buy) / low (sell) (Backtrader's `slip_match`). A market order decided on the close of bar t
 *   therefore fills at the open of bar t+1 of that symbol; one decided on the last bar never fills.
 * - LIMIT: a buy fills when the bar trades at or below the limit: at the open if the bar opened there
 *   (a gap through the limit: the better price), else at the limit. Sell mirrors. No slippage beyond the
 *   limit.
 * - STOP: a buy triggers when the bar trades at or above the stop: at the open if the bar opened there
 *   (gap: the worse price), else at the stop; slipped adversely within the bar's range. Sell mirrors.
 * - STOP_LIMIT: a gap through the stop triggers it and it is tried as a limit at once; a stop touched inside
 *   the bar fills at the stop when the limit is at or beyond it, else (buy, on a falling bar) at the limit when
 *   the close is at or below it; a triggered order not filled is a LIMIT from the next bar on (Backtrader's
 *   `_try_exec_stoplimit`).
 * - TRAILING: a STOP at its current stop; after a bar that does not fill it, the stop moves to the bar's close
 *   ∓ the trail if that is closer to the price (never away from it), as Backtrader's `trailadjust(close)`.
 *
 * Protective children (`place(order, children)`) are held until their parent fills, then work from the next
 * bar. A fill cancels the other working orders of its `ocaGroup` (`Cancelled`, reason OCO) before any later
 * order is tried, so when a bar reaches both legs of a bracket, the one placed first (the stop) fills. A
 * parent that ends unfilled cancels its children (PARENT).
 *
 * Time in force: DAY and GTD orders (not MARKET, as in Backtrader) are cancelled (EXPIRED, at `expiresAt`) by
 * the first bar that ends after `expiresAt`, before it is tried; IOC is tried on its first bar and what does
 * not fill is cancelled (EXPIRED) at that bar's end.
 *
 * Events, all synchronous on `events$`: `Submitted` when placed (the risk gate already emitted `Accepted`) and
 * when modified, then a `Fill` (execId `${orderId}.1`, ts = start of the filling bar, the order's reason)
 * followed by `Filled`; `Cancelled` with its reason. An order the broker cannot take (unknown symbol, an id
 * used before, bad quantity, prices or expiry, a child whose parent is not working) becomes a `Rejected` event
 * with reason `BROKER`. Fills are whole: bars carry no depth to split them on.
 */
export function createSimBroker(options: SimBrokerOptions): Broker {
  const { contracts } = options;
  const commission = options.commission ?? zeroCommission;
  const slippageTicks = options.slippageTicks ?? 0;
  if (!Number.isFinite(slippageTicks) || slippageTicks < 0) {
    throw new RangeError(`slippageTicks must be a finite number ≥ 0, got ${slippageTicks}`);
  }
  const events = new Subject<ExecutionEvent>();
  /** Working orders by id, for `cancel` and `modify`. */
  const working = new Map<string, WorkingOrder>();
  /** Every id ever placed: ids are deterministic, so a repeated one is a mistake upstream. */
  const placedIds = new Set<string>();
  /** Working orders per symbol in placement order; the hot path looks here only when `workingCount > 0`. */
  const bySymbol = new Map<string, WorkingOrder[]>();
  /** Working members of each one-cancels-other group. */
  const groups = new Map<string, WorkingOrder[]>();
  let workingCount = 0;
  /** The sim's clock: end of the last bar seen (a decision made after it happens at that time). */
  let now = 0;

  const emit = (status: OrderEvent['status'], order: Order, ts: number, extra?: Partial<OrderEvent>): void => {
    events.next(extra === undefined ? { kind: 'order', status, order, ts } : { kind: 'order', status, order, ts, ...extra });
  };

  const reject = (order: Order, message: string): void => {
    emit('Rejected', order, order.ts, { reason: 'BROKER', message });
  };

  const problemOf = (order: Order, spec: ContractSpec | undefined): string | undefined => {
    if (spec === undefined) return `unknown symbol "${order.symbol}"`;
    if (placedIds.has(order.id)) return `duplicate order id "${order.id}"`;
    if (!(order.qty > 0) || !Number.isFinite(order.qty)) return `qty must be a finite number > 0, got ${order.qty}`;
    if (order.expiresAt !== undefined && !(order.expiresAt > order.ts)) return `expires (${order.expiresAt}) before it is decided (${order.ts})`;
    return orderPriceProblem(order);
  };

  const add = (order: Order, spec: ContractSpec, activeFrom: number): WorkingOrder => {
    const entry: WorkingOrder = { order, spec, done: false, activeFrom, triggered: false, stop: order.type === 'TRAILING' ? (order.stopPrice as number) : Number.NaN, children: undefined };
    placedIds.add(order.id);
    working.set(order.id, entry);
    let list = bySymbol.get(order.symbol);
    if (list === undefined) {
      list = [];
      bySymbol.set(order.symbol, list);
    }
    list.push(entry);
    if (order.ocaGroup !== undefined) {
      const group = groups.get(order.ocaGroup);
      if (group === undefined) groups.set(order.ocaGroup, [entry]);
      else group.push(entry);
    }
    workingCount++;
    emit('Submitted', order, order.ts);
    return entry;
  };

  /** Takes a working order out (filled or cancelled); the caller emits what happened. */
  const retire = (entry: WorkingOrder): void => {
    entry.done = true;
    working.delete(entry.order.id);
    workingCount--;
    const groupId = entry.order.ocaGroup;
    if (groupId !== undefined) {
      const group = groups.get(groupId);
      if (group !== undefined) {
        const rest = group.filter((member) => member !== entry);
        if (rest.length === 0) groups.delete(groupId);
        else groups.set(groupId, rest);
      }
    }
  };

  const cancelEntry = (entry: WorkingOrder, reason: CancelReason, ts: number, message?: string): void => {
    if (entry.done) return;
    retire(entry);
    emit('Cancelled', entry.order, ts, message === undefined ? { cancelReason: reason } : { cancelReason: reason, message });
    if (entry.children !== undefined) {
      for (const child of entry.children) cancelEntry(child, 'PARENT', ts, `parent ${entry.order.id} ended unfilled`);
    }
  };

  const place = (order: Order, children: readonly Order[] = []): void => {
    const spec = contracts[order.symbol];
    const problem = problemOf(order, spec);
    if (problem !== undefined || spec === undefined) {
      reject(order, problem ?? `unknown symbol "${order.symbol}"`);
      for (const child of children) reject(child, `parent ${order.id} was rejected`);
      return;
    }
    const parent = add(order, spec, order.ts);
    for (const child of children) {
      const childSpec = contracts[child.symbol];
      const childProblem =
        child.parentId !== order.id ? `parentId "${child.parentId ?? ''}" is not the order it is attached to (${order.id})` : problemOf(child, childSpec);
      if (childProblem !== undefined || childSpec === undefined) {
        reject(child, childProblem ?? `unknown symbol "${child.symbol}"`);
        continue;
      }
      (parent.children ??= []).push(add(child, childSpec, Number.NaN));
    }
  };

  const cancel = (orderId: string, reason: CancelReason = 'REQUESTED'): void => {
    const entry = working.get(orderId);
    // Unknown or already finished: nothing is working, so there is nothing to cancel (a live broker answers
    // the same race with an error message; here it is not an event).
    if (entry === undefined) return;
    cancelEntry(entry, reason, Math.max(now, entry.order.ts));
  };

  const modify = (order: Order): void => {
    const entry = working.get(order.id);
    if (entry === undefined) return;
    const was = entry.order;
    if (order.symbol !== was.symbol || order.side !== was.side || order.type !== was.type || order.strategyId !== was.strategyId) {
      throw new RangeError(`modify ${order.id}: symbol, side, type and strategy cannot change (${was.side} ${was.type} ${was.symbol})`);
    }
    const problem = !(order.qty > 0) || !Number.isFinite(order.qty) ? `qty must be a finite number > 0, got ${order.qty}` : orderPriceProblem(order);
    if (problem !== undefined) throw new RangeError(`modify ${order.id}: ${problem}`);
    entry.order = order;
    if (order.type === 'TRAILING' && order.stopPrice !== was.stopPrice) entry.stop = order.stopPrice as number;
    emit('Submitted', order, Math.max(now, order.ts));
  };

  const fill = (entry: WorkingOrder, bar: Bar, price: number): void => {
    retire(entry);
    const { order } = entry;
    const execution: Fill = {
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
      reason: order.reason,
    };
    if (entry.children !== undefined) {
      const from = bar.ts + bar.intervalMs;
      for (const child of entry.children) child.activeFrom = from;
    }
    events.next(execution);
    emit('Filled', order, bar.ts, { filledQty: order.qty });
    // The other legs go before any later order of the bar is tried: a bar reaching both legs fills one.
    const groupId = order.ocaGroup;
    const siblings = groupId === undefined ? undefined : groups.get(groupId);
    if (siblings !== undefined) {
      for (const sibling of [...siblings]) cancelEntry(sibling, 'OCO', bar.ts, `${order.id} of the same one-cancels-other group filled`);
    }
  };

  const onBar = (bar: Bar): void => {
    const end = bar.ts + bar.intervalMs;
    if (end > now) now = end;
    if (workingCount === 0) return;
    const list = bySymbol.get(bar.symbol);
    if (list === undefined || list.length === 0) return;
    // Compacted in place. A fill's subscribers may place (appended past `n`: tried from the next bar on),
    // modify or cancel (marked done) re-entrantly.
    const n = list.length;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const entry = list[i];
      if (entry.done) continue;
      // Not yet: decided after the bar started, or a child whose parent has not filled (NaN).
      if (!(entry.activeFrom <= bar.ts)) {
        list[kept++] = entry;
        continue;
      }
      const { order } = entry;
      if (order.expiresAt !== undefined && end > order.expiresAt && order.type !== 'MARKET') {
        cancelEntry(entry, 'EXPIRED', order.expiresAt);
        continue;
      }
      const price = fillPrice(entry, bar, slippageTicks);
      if (price !== undefined) {
        fill(entry, bar, price);
        continue;
      }
      if (order.tif === 'IOC') {
        cancelEntry(entry, 'EXPIRED', end, 'IOC: not filled on its first bar');
        continue;
      }
      if (order.type === 'TRAILING') trail(entry, bar.close);
      list[kept++] = entry;
    }
    for (let i = n; i < list.length; i++) list[kept++] = list[i];
    list.length = kept;
  };

  return {
    name: options.name ?? 'sim',
    events$: events.asObservable(),
    place,
    cancel,
    modify,
    onBar,
    close: () => events.complete(),
  };
}

/** After a bar that did not fill it: the trailing stop follows the close, never away from the price. */
function trail(entry: WorkingOrder, close: number): void {
  const { order, spec } = entry;
  if (order.trail === undefined) return;
  const candidate = trailingStopFrom(close, order.side, order.trail, spec.tickSize);
  if (order.side === 'SELL' ? candidate > entry.stop : candidate < entry.stop) entry.stop = candidate;
}

/** The price `entry` fills at on `bar`, or undefined when the bar does not reach it. */
function fillPrice(entry: WorkingOrder, bar: Bar, slippageTicks: number): number | undefined {
  const { order, spec } = entry;
  const buy = order.side === 'BUY';
  const tick = spec.tickSize;
  switch (order.type) {
    case 'MARKET':
      return slipped(bar.open, buy, slippageTicks, tick, bar);
    case 'LIMIT':
      return limitFill(order.limitPrice as number, buy, bar, slippageTicks, tick);
    case 'STOP':
      return stopFill(order.stopPrice as number, buy, bar, slippageTicks, tick);
    case 'TRAILING':
      return stopFill(entry.stop, buy, bar, slippageTicks, tick);
    case 'STOP_LIMIT': {
      const limit = order.limitPrice as number;
      if (entry.triggered) return limitFill(limit, buy, bar, slippageTicks, tick);
      const stop = order.stopPrice as number;
      if (buy) {
        if (bar.open >= stop) {
          entry.triggered = true;
          return limitFill(limit, true, bar, slippageTicks, tick);
        }
        if (bar.high < stop) return undefined;
        entry.triggered = true;
        if (limit >= stop) return Math.min(slipped(stop, true, slippageTicks, tick, bar), limit);
        return bar.open > bar.close && limit >= bar.close ? limit : undefined;
      }
      if (bar.open <= stop) {
        entry.triggered = true;
        return limitFill(limit, false, bar, slippageTicks, tick);
      }
      if (bar.low > stop) return undefined;
      entry.triggered = true;
      if (limit <= stop) return Math.max(slipped(stop, false, slippageTicks, tick, bar), limit);
      return bar.open <= bar.close && limit <= bar.close ? limit : undefined;
    }
  }
}

/** A limit at `limit`: a gap through it fills at the (better) open, a touch at the limit. */
function limitFill(limit: number, buy: boolean, bar: Bar, slippageTicks: number, tick: number): number | undefined {
  if (buy) {
    if (bar.open <= limit) return Math.min(slipped(bar.open, true, slippageTicks, tick, bar), limit);
    return bar.low <= limit ? limit : undefined;
  }
  if (bar.open >= limit) return Math.max(slipped(bar.open, false, slippageTicks, tick, bar), limit);
  return bar.high >= limit ? limit : undefined;
}

/** A stop at `stop`: a gap through it fills at the (worse) open, a touch at the stop; both slipped adversely. */
function stopFill(stop: number, buy: boolean, bar: Bar, slippageTicks: number, tick: number): number | undefined {
  if (buy) {
    if (bar.open >= stop) return slipped(bar.open, true, slippageTicks, tick, bar);
    return bar.high >= stop ? slipped(stop, true, slippageTicks, tick, bar) : undefined;
  }
  if (bar.open <= stop) return slipped(bar.open, false, slippageTicks, tick, bar);
  return bar.low <= stop ? slipped(stop, false, slippageTicks, tick, bar) : undefined;
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
