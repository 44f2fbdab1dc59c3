import { createFanout } from '../core/fanout';
import { orderPriceProblem, trailingStopFrom } from '../core/orders';
import { addTicks } from '../core/ticks';
import type { Bar, CancelReason, ContractBook, ContractSpec, ExecutionEvent, Fill, Order, OrderType } from '../core/types';
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

/**
 * A working order and what the bar loop reads of it. Orders come in many shapes (a child has fields an entry
 * has not, a modification is a copy), so reading them on every bar would be megamorphic; this object has one
 * shape, and its copies of the order's fields are refreshed when the order is modified (`setOrder`).
 */
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
  type: OrderType;
  buy: boolean;
  /** LIMIT, STOP_LIMIT: the limit (NaN otherwise). */
  limit: number;
  /** STOP, STOP_LIMIT: the stop; TRAILING: the stop now, which only ever moves toward the price (NaN otherwise). */
  stop: number;
  /** The end of its time in force (DAY, GTD; never for MARKET orders, as in Backtrader): Infinity when none. */
  expiresAt: number;
  ioc: boolean;
  /** Protective children held until this order fills. */
  children: WorkingOrder[] | undefined;
  /** Its symbol's working orders. */
  readonly symbolOrders: SymbolOrders;
}

/**
 * A symbol's working orders in placement order, and the prices a bar must reach before any of them can fill:
 * a bar whose low stays above `down` (the highest price that fills an order when the market falls to it: sell
 * stops, buy limits) and whose high stays below `up` (the lowest that fills one when it rises: buy stops, sell
 * limits), ends before the first expiry, with no order needing a look on every bar, changes nothing — and
 * costs four comparisons. Resting protective orders sit far from the price most of the time, so most bars are
 * such bars.
 */
interface SymbolOrders {
  readonly list: WorkingOrder[];
  /** The bounds are stale: an order came, went or changed since they were computed. */
  dirty: boolean;
  down: number;
  up: number;
  expiry: number;
  /** Orders that need every bar: MARKET (they fill at the open), IOC (they end after it), TRAILING (they follow the close). */
  everyBar: number;
}

/** Recomputes `orders`' bounds (see `SymbolOrders`); a STOP_LIMIT counts by both its prices, triggered or not. */
function bound(orders: SymbolOrders): void {
  let down = Number.NEGATIVE_INFINITY;
  let up = Number.POSITIVE_INFINITY;
  let expiry = Number.POSITIVE_INFINITY;
  let everyBar = 0;
  const { list } = orders;
  for (let i = 0; i < list.length; i++) {
    const e = list[i];
    if (e.done) continue;
    if (e.expiresAt < expiry) expiry = e.expiresAt;
    if (e.ioc || e.type === 'MARKET' || e.type === 'TRAILING') {
      everyBar++;
      continue;
    }
    // A buy fills on the way down at its limit and on the way up at its stop; a sell the other way round.
    const falling = e.type === 'STOP' ? (e.buy ? Number.NaN : e.stop) : e.buy ? e.limit : e.type === 'STOP_LIMIT' ? e.stop : Number.NaN;
    const rising = e.type === 'LIMIT' ? (e.buy ? Number.NaN : e.limit) : e.buy ? e.stop : e.type === 'STOP_LIMIT' ? e.limit : Number.NaN;
    if (falling > down) down = falling;
    if (rising < up) up = rising;
  }
  orders.down = down;
  orders.up = up;
  orders.expiry = expiry;
  orders.everyBar = everyBar;
  orders.dirty = false;
}

/** Copies `order`'s fields into `entry` (a TRAILING stop keeps where it has moved unless the order moves it). */
function setOrder(entry: WorkingOrder, order: Order): void {
  const previous = entry.order;
  entry.symbolOrders.dirty = true;
  entry.order = order;
  entry.type = order.type;
  entry.buy = order.side === 'BUY';
  entry.limit = order.limitPrice ?? Number.NaN;
  if (order.type !== 'TRAILING' || previous === order || order.stopPrice !== previous.stopPrice) entry.stop = order.stopPrice ?? Number.NaN;
  entry.expiresAt = order.expiresAt === undefined || order.type === 'MARKET' ? Number.POSITIVE_INFINITY : order.expiresAt;
  entry.ioc = order.tif === 'IOC';
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
 * still working, bad quantity, prices or expiry, a child whose parent is not working) becomes a `Rejected` event
 * with reason `BROKER`. Fills are whole: bars carry no depth to split them on.
 */
export function createSimBroker(options: SimBrokerOptions): Broker {
  const { contracts } = options;
  const commission = options.commission ?? zeroCommission;
  const slippageTicks = options.slippageTicks ?? 0;
  if (!Number.isFinite(slippageTicks) || slippageTicks < 0) {
    throw new RangeError(`slippageTicks must be a finite number ≥ 0, got ${slippageTicks}`);
  }
  // A fan-out rather than a Subject: no allocation per event (see `createFanout`).
  const events = createFanout<ExecutionEvent>();
  /** Working orders by id, for `cancel` and `modify`. */
  const working = new Map<string, WorkingOrder>();
  /** Working orders per symbol; the hot path looks here only when `workingCount > 0`. */
  const bySymbol = new Map<string, SymbolOrders>();
  const last: { symbol: string; orders: SymbolOrders | undefined } = { symbol: '', orders: undefined };
  /** Working members of each one-cancels-other group. */
  const groups = new Map<string, WorkingOrder[]>();
  let workingCount = 0;
  /** The sim's clock: end of the last bar seen (a decision made after it happens at that time). */
  let now = 0;

  const submitted = (order: Order, ts: number): void => events.next({ kind: 'order', status: 'Submitted', order, ts });

  const reject = (order: Order, message: string): void => {
    events.next({ kind: 'order', status: 'Rejected', order, ts: order.ts, reason: 'BROKER', message });
  };

  const problemOf = (order: Order, spec: ContractSpec | undefined): string | undefined => {
    if (spec === undefined) return `unknown symbol "${order.symbol}"`;
    if (working.has(order.id)) return `duplicate order id "${order.id}"`;
    if (!(order.qty > 0) || !Number.isFinite(order.qty)) return `qty must be a finite number > 0, got ${order.qty}`;
    if (order.expiresAt !== undefined && !(order.expiresAt > order.ts)) return `expires (${order.expiresAt}) before it is decided (${order.ts})`;
    return orderPriceProblem(order);
  };

  const add = (order: Order, spec: ContractSpec, activeFrom: number): WorkingOrder => {
    let symbolOrders = bySymbol.get(order.symbol);
    if (symbolOrders === undefined) {
      symbolOrders = { list: [], dirty: true, down: Number.NEGATIVE_INFINITY, up: Number.POSITIVE_INFINITY, expiry: Number.POSITIVE_INFINITY, everyBar: 0 };
      bySymbol.set(order.symbol, symbolOrders);
      if (order.symbol === last.symbol) last.orders = symbolOrders;
    }
    const entry: WorkingOrder = {
      order,
      spec,
      done: false,
      activeFrom,
      triggered: false,
      type: order.type,
      buy: false,
      limit: Number.NaN,
      stop: Number.NaN,
      expiresAt: Number.POSITIVE_INFINITY,
      ioc: false,
      children: undefined,
      symbolOrders,
    };
    setOrder(entry, order);
    working.set(order.id, entry);
    symbolOrders.list.push(entry);
    if (order.ocaGroup !== undefined) {
      const group = groups.get(order.ocaGroup);
      if (group === undefined) groups.set(order.ocaGroup, [entry]);
      else group.push(entry);
    }
    workingCount++;
    submitted(order, order.ts);
    return entry;
  };

  /** Takes a working order out (filled or cancelled); the caller emits what happened. */
  const retire = (entry: WorkingOrder): void => {
    entry.done = true;
    entry.symbolOrders.dirty = true;
    working.delete(entry.order.id);
    workingCount--;
    const groupId = entry.order.ocaGroup;
    if (groupId !== undefined) {
      const group = groups.get(groupId);
      if (group !== undefined) {
        const i = group.indexOf(entry);
        if (i >= 0) group.splice(i, 1);
        if (group.length === 0) groups.delete(groupId);
      }
    }
  };

  const cancelEntry = (entry: WorkingOrder, reason: CancelReason, ts: number, message?: string): void => {
    if (entry.done) return;
    retire(entry);
    events.next(
      message === undefined
        ? { kind: 'order', status: 'Cancelled', order: entry.order, ts, cancelReason: reason }
        : { kind: 'order', status: 'Cancelled', order: entry.order, ts, cancelReason: reason, message },
    );
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
    setOrder(entry, order);
    submitted(order, Math.max(now, order.ts));
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
    events.next({ kind: 'order', status: 'Filled', order, ts: bar.ts, filledQty: order.qty });
    // The other legs go before any later order of the bar is tried: a bar reaching both legs fills one.
    const groupId = order.ocaGroup;
    const siblings = groupId === undefined ? undefined : groups.get(groupId);
    // Cancelling takes each sibling out of the group: cancel from the end.
    if (siblings !== undefined) {
      for (let i = siblings.length - 1; i >= 0; i--) cancelEntry(siblings[i], 'OCO', bar.ts, `${order.id} of the same one-cancels-other group filled`);
    }
  };

  const onBar = (bar: Bar): void => {
    const end = bar.ts + bar.intervalMs;
    if (end > now) now = end;
    if (workingCount === 0) return;
    // Bars come in runs of one symbol: the last one's orders, without a Map lookup.
    let symbolOrders = last.orders;
    if (bar.symbol !== last.symbol) {
      symbolOrders = bySymbol.get(bar.symbol);
      last.symbol = bar.symbol;
      last.orders = symbolOrders;
    }
    if (symbolOrders === undefined) return;
    const { list } = symbolOrders;
    if (list.length === 0) return;
    if (symbolOrders.dirty) bound(symbolOrders);
    if (symbolOrders.everyBar === 0 && bar.low > symbolOrders.down && bar.high < symbolOrders.up && end <= symbolOrders.expiry) return;
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
      if (end > entry.expiresAt) {
        cancelEntry(entry, 'EXPIRED', entry.expiresAt);
        continue;
      }
      const price = fillPrice(entry, bar, slippageTicks);
      if (price !== undefined) {
        fill(entry, bar, price);
        continue;
      }
      if (entry.ioc) {
        cancelEntry(entry, 'EXPIRED', end, 'IOC: not filled on its first bar');
        continue;
      }
      if (entry.type === 'TRAILING') trail(entry, bar.close);
      list[kept++] = entry;
    }
    for (let i = n; i < list.length; i++) list[kept++] = list[i];
    // Setting an array's length is not free (a runtime call): only when something left the list.
    if (kept !== list.length) list.length = kept;
  };

  return {
    name: options.name ?? 'sim',
    events$: events.observable,
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
  if (entry.buy ? candidate < entry.stop : candidate > entry.stop) entry.stop = candidate;
}

/** The price `entry` fills at on `bar`, or undefined when the bar does not reach it. */
function fillPrice(entry: WorkingOrder, bar: Bar, slippageTicks: number): number | undefined {
  const { buy, limit, stop } = entry;
  const tick = entry.spec.tickSize;
  switch (entry.type) {
    case 'MARKET':
      return slipped(bar.open, buy, slippageTicks, tick, bar);
    case 'LIMIT':
      return limitFill(limit, buy, bar, slippageTicks, tick);
    case 'STOP':
    case 'TRAILING':
      return stopFill(stop, buy, bar, slippageTicks, tick);
    case 'STOP_LIMIT': {
      if (entry.triggered) return limitFill(limit, buy, bar, slippageTicks, tick);
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
