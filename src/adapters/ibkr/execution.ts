import { DataError } from '../../core/errors';
import type { CancelReason, ExecutionEvent, Fill, Order, OrderEvent, OrderReason, RejectReason } from '../../core/types';
import { toTicks } from '../../core/ticks';
import { CHILD_SUFFIX } from '../../core/orders';
import type { BrokerReport } from './brokerReports';
import { describeIbContract, ibQuantityPerUnit, symbolResolver, type IbContractBook, type IbContractSpec } from './contracts';
import { ibMessageLabel, type IbMessage } from './messages';
import {
  commissionInQuote,
  ENGINE_SIDE,
  engineOrderType,
  execBase,
  ibStatusMeaning,
  orderErrorMeaning,
  parseExecutionTime,
  parseOrderRef,
} from './orderMapping';

/**
 * The execution state machine: every order the broker tracks, and what TWS's orderStatus, openOrder,
 * execDetails, commissionReport and order errors do to it. It turns them into the engine's OrderEvents and
 * Fills (through `emit`) and reports (through `report`); it never talks to TWS itself — the broker sends, and
 * the recovery after a (re)connection feeds it what TWS lists.
 *
 * ```
 *  held ──sent──► sent ──acknowledged──► working ──fills up to qty──► done (Filled)
 *   │              │                       │
 *   └ cancel ──────┴── reject / cancel ────┴─────────────────────────► done (Cancelled / Rejected)
 * ```
 *
 * Fills and commissions. A Fill is emitted once per execution (deduplicated by execId, across reconnects and
 * reqExecutions replays), when its commissionReport arrives, so `Fill.commission` is TWS's figure (converted to
 * the quote currency when TWS reports it in the base currency, at the execution price). If no report comes
 * within `commissionTimeoutMs`, the fill is emitted with commission 0 and a `commission-timeout` report; a report
 * arriving later is reported as `late-commission` (never applied twice, never silently lost). A correction of
 * an execution (same execId up to the last dot) is reported, not emitted as a second fill.
 *
 * Order events. `Submitted` when TWS acknowledges the order; `PartiallyFilled`/`Filled` right after the Fill
 * they account for (filled quantity is counted from the fills emitted, so "orders in flight" never drops before
 * the position includes the fill); `Cancelled` and `Rejected` (reason BROKER, with TWS's code and text) wait
 * until every execution TWS reported for the order has been emitted as a fill.
 *
 * Restarts. Executions and open orders of an earlier run map back to their strategy and order by orderRef
 * (`orderMapping.ts`). Executions before `recoverExecutionsSince` belong to the past run and are skipped (the
 * position reconciliation covers them). An adopted order is announced with a `Submitted` event (so the book
 * counts it in flight, like the engine's own) and goes on as one of this run's: fills, Filled, Cancelled; a
 * protective child keeps its parent's id (its own id minus the child suffix, as `ordersFromDecisions` made it).
 */

export type OrderState = 'held' | 'sent' | 'working' | 'done';

interface OrderRecord {
  /** The current version (a modification replaces it). */
  order: Order;
  readonly spec: IbContractSpec | undefined;
  ibOrderId: number | undefined;
  /** A protective child: its parent's IB id (sent again with every modification). */
  parentIbId: number | undefined;
  /** Why the engine asked for the cancellation TWS will confirm. */
  cancelReason: CancelReason | undefined;
  /** 'pending': modified while it could not be sent; 'sent': TWS's acknowledgement of it is awaited. */
  modification: 'pending' | 'sent' | undefined;
  state: OrderState;
  /** Connection on which it was sent. */
  connectionId: number;
  /** Units filled by the fills emitted. */
  filledQty: number;
  /** Filled quantity TWS reported in orderStatus (the fills may still be on their way). */
  ibFilled: number;
  /** Executions received whose fill waits for its commission report. */
  pendingFills: number;
  /** A terminal Cancelled/Rejected waiting for the fills before it. */
  deferredTerminal: OrderEvent | undefined;
  lastError: string | undefined;
}

/** An order as the state machine tracks it; only the state machine changes it. */
export type TrackedOrder = Readonly<OrderRecord>;

interface PendingFill {
  readonly fill: Fill;
  readonly record: OrderRecord | undefined;
  readonly spec: IbContractSpec;
  readonly timer: NodeJS.Timeout;
}

interface Commission {
  readonly commission: number;
  readonly currency: string;
}

export interface ExecutionStateOptions {
  readonly contracts: IbContractBook;
  /** Our clientId: executions of other clients are matched by orderRef only. */
  readonly clientId: number;
  readonly commissionTimeoutMs: number;
  /** Executions earlier than this (epoch ms) and of no order tracked here are not emitted as fills. */
  readonly recoverExecutionsSince: number;
  /** Zone of execution times that carry none. */
  readonly twsTimeZone: string;
  /** execIds already accounted for by an earlier run. */
  readonly knownExecIds?: Iterable<string>;
  readonly now: () => number;
  readonly emit: (event: ExecutionEvent) => void;
  readonly report: (report: BrokerReport) => void;
}

export interface ExecutionState {
  /** Starts tracking a new order, `held` until `sent`; throws when its id was tracked before. */
  track(order: Order): TrackedOrder;
  /** Placed with TWS as `ibOrderId` on connection `connectionId` (a protective child under `parentIbId`). */
  sent(order: TrackedOrder, ibOrderId: number, connectionId: number, parentIbId?: number): void;
  reject(order: TrackedOrder, reason: RejectReason, message: string): void;
  /** Cancels an order that was never sent. */
  cancelHeld(order: TrackedOrder, reason: CancelReason): void;
  /** The engine asked TWS to cancel it: the Cancelled status TWS answers carries `reason`. */
  cancelRequested(order: TrackedOrder, reason: CancelReason): void;
  /** A new version of the order (same id), to be sent (see `pendingModifications`) unless it is still held. */
  modify(order: TrackedOrder, next: Order): void;
  /** The modification went to TWS: its acknowledgement is reported as `Submitted` with the new version. */
  modificationSent(order: TrackedOrder): void;
  /** Sent orders modified while TWS could not be told. */
  pendingModifications(): TrackedOrder[];
  get(orderId: string): TrackedOrder | undefined;

  orderStatus(message: IbMessage<'orderStatus'>): void;
  /** An open order TWS lists: acknowledges ours, adopts an earlier run's (by orderRef). */
  openOrder(message: IbMessage<'openOrder'>, connectionId: number): void;
  execDetails(message: IbMessage<'execDetails'>): void;
  commissionReport(message: IbMessage<'commissionReport'>): void;
  orderError(ibOrderId: number, code: number, message: string): void;
  /**
   * After recovering on connection `connectionId`: orders sent on an earlier connection that TWS no longer lists
   * (`listed`: the ids of its open orders) and that no fill accounts for. One sent but never acknowledged is
   * rejected as DISCONNECTED (TWS never got it); one acknowledged is reported as `order-state-unknown`.
   */
  settleUnlisted(connectionId: number, listed: ReadonlySet<number>): void;

  /** Orders not yet filled, cancelled or rejected: this run's and those adopted from an earlier one. */
  working(): Order[];
  /** The same, as tracked (with their IB ids). */
  open(): TrackedOrder[];
  awaitingCommission(): number;
  /** Emits every fill still waiting for its commission report now (commission 0, reported): none is dropped. */
  flushAwaitingCommission(): void;
  /** Stops the commission timers without emitting (the broker failed). */
  dispose(): void;
}

/** The engine's type and prices of an order TWS lists (a TRAIL's distance back in ticks, or as a percent). */
function adoptedPrices(o: IbMessage<'openOrder'>['order'], spec: IbContractSpec): Pick<Order, 'type' | 'limitPrice' | 'stopPrice' | 'trail'> {
  const type = engineOrderType(o.orderType);
  switch (type) {
    case 'MARKET':
      return { type };
    case 'LIMIT':
      return { type, limitPrice: o.lmtPrice };
    case 'STOP':
      return { type, stopPrice: o.auxPrice };
    case 'STOP_LIMIT':
      return { type, stopPrice: o.auxPrice, limitPrice: o.lmtPrice };
    case 'TRAILING':
      return {
        type,
        stopPrice: o.trailStopPrice,
        trail: o.trailingPercent !== undefined ? { percent: o.trailingPercent } : { ticks: toTicks(o.auxPrice ?? 0, spec.tickSize) },
      };
  }
}

/** A protective child's parent: its id without the child suffix (`<parent>.sl`); undefined for other orders. */
function parentIdOf(orderId: string, reason: OrderReason): string | undefined {
  if (reason !== 'stop' && reason !== 'takeProfit' && reason !== 'trailingStop') return undefined;
  const suffix = `.${CHILD_SUFFIX[reason]}`;
  return orderId.endsWith(suffix) ? orderId.slice(0, -suffix.length) : undefined;
}

export function createExecutionState(options: ExecutionStateOptions): ExecutionState {
  const { contracts, now, emit, report } = options;
  const resolveSymbol = symbolResolver(contracts);
  const records = new Map<string, OrderRecord>();
  const byIbId = new Map<number, OrderRecord>();
  const seenExecIds = new Set<string>(options.knownExecIds ?? []);
  const execIdByBase = new Map<string, string>();
  for (const id of seenExecIds) execIdByBase.set(execBase(id), id);
  const pending = new Map<string, PendingFill>();
  const earlyCommissions = new Map<string, Commission>();
  const timedOut = new Set<string>();

  // Records handed out are the records themselves, typed read-only: only this module changes them.
  const recordOf = (tracked: TrackedOrder): OrderRecord => tracked as OrderRecord;

  function orderEvent(rec: OrderRecord, status: OrderEvent['status'], extra: Partial<OrderEvent> = {}): OrderEvent {
    return { kind: 'order', status, order: rec.order, ts: now(), filledQty: rec.filledQty, ...extra };
  }

  const waitsForFills = (rec: OrderRecord) => rec.pendingFills > 0 || rec.filledQty + 1e-9 < rec.ibFilled;

  /** Emits a terminal event now, or once the order's reported executions have all been emitted as fills. */
  function terminate(rec: OrderRecord, event: OrderEvent): void {
    if (rec.state === 'done') return;
    if (waitsForFills(rec)) {
      rec.deferredTerminal ??= event;
      return;
    }
    rec.state = 'done';
    emit({ ...event, filledQty: rec.filledQty });
  }

  function flushDeferred(rec: OrderRecord): void {
    const t = rec.deferredTerminal;
    if (!t || rec.state === 'done' || waitsForFills(rec)) return;
    rec.deferredTerminal = undefined;
    terminate(rec, t);
  }

  function acknowledge(rec: OrderRecord): void {
    if (rec.state === 'working' && rec.modification === 'sent') {
      rec.modification = undefined;
      emit(orderEvent(rec, 'Submitted'));
      return;
    }
    if (rec.state !== 'sent') return;
    rec.state = 'working';
    if (rec.modification === 'sent') rec.modification = undefined;
    emit(orderEvent(rec, 'Submitted'));
  }

  /**
   * Why TWS cancelled an order: what the engine asked for, else what TWS does by itself — a sibling of its
   * one-cancels-other group filled (OCO), or its parent ended unfilled (PARENT).
   */
  function cancelReasonOf(rec: OrderRecord): CancelReason | undefined {
    if (rec.cancelReason !== undefined) return rec.cancelReason;
    const { ocaGroup, parentId } = rec.order;
    for (const other of records.values()) {
      if (other === rec) continue;
      if (ocaGroup !== undefined && other.order.ocaGroup === ocaGroup && (other.filledQty > 0 || other.ibFilled > 0 || other.pendingFills > 0)) return 'OCO';
      if (parentId !== undefined && other.order.id === parentId && other.state === 'done' && other.filledQty === 0) return 'PARENT';
    }
    return undefined;
  }

  function cancelledEvent(rec: OrderRecord, message?: string): OrderEvent {
    const cancelReason = cancelReasonOf(rec);
    return orderEvent(rec, 'Cancelled', { ...(cancelReason !== undefined ? { cancelReason } : {}), ...(message !== undefined ? { message } : {}) });
  }

  function reject(rec: OrderRecord, reason: RejectReason, message: string): void {
    rec.state = 'done';
    emit(orderEvent(rec, 'Rejected', { reason, message }));
  }

  // ---- executions and commissions -------------------------------------------------------------------------

  function recordOfExecution(e: IbMessage<'execDetails'>['execution']): OrderRecord | undefined {
    const ours = e.clientId === undefined || e.clientId === options.clientId;
    const byId = ours ? byIbId.get(e.orderId) : undefined;
    if (byId) return byId;
    const ref = parseOrderRef(e.orderRef);
    return ref ? records.get(ref.orderId) : undefined;
  }

  function execDetails(m: IbMessage<'execDetails'>): void {
    const e = m.execution;
    if (seenExecIds.has(e.execId)) return;
    const base = execBase(e.execId);
    const earlier = execIdByBase.get(base);
    seenExecIds.add(e.execId);
    execIdByBase.set(base, e.execId);
    if (earlier !== undefined) {
      report({ kind: 'execution-correction', execId: e.execId, corrects: earlier, qty: e.shares, price: e.price });
      return;
    }
    const ts = parseExecutionTime(e.time, options.twsTimeZone);
    if (ts === undefined) {
      throw new DataError('not a TWS time "yyyyMMdd HH:mm:ss [zone]"', { file: ibMessageLabel('execDetails'), field: 'execution.time' }, `got ${JSON.stringify(e.time)}`);
    }
    const rec = recordOfExecution(e);
    const ref = parseOrderRef(e.orderRef);
    const foreign = () => report({ kind: 'foreign-execution', execId: e.execId, contract: describeIbContract(m.contract), orderRef: e.orderRef ?? '' });
    if (!rec && !ref) return foreign();
    if (!rec && ts < options.recoverExecutionsSince) return;
    const symbol = rec?.order.symbol ?? resolveSymbol(m.contract);
    const spec = symbol !== undefined ? contracts[symbol] : undefined;
    if (symbol === undefined || !spec) return foreign();
    const fill: Fill = {
      kind: 'fill',
      execId: e.execId,
      orderId: rec?.order.id ?? (ref as { orderId: string }).orderId,
      strategyId: rec?.order.strategyId ?? (ref as { strategyId: string }).strategyId,
      symbol,
      ts,
      side: ENGINE_SIDE[e.side],
      qty: e.shares / ibQuantityPerUnit(spec),
      price: e.price,
      commission: 0,
      reason: rec?.order.reason ?? (ref as { reason: Fill['reason'] }).reason,
    };
    if (rec) rec.pendingFills++;
    const early = earlyCommissions.get(e.execId);
    if (early) {
      earlyCommissions.delete(e.execId);
      emitFill(fill, rec, spec, early);
      return;
    }
    const timer = setTimeout(() => {
      pending.delete(e.execId);
      timedOut.add(e.execId);
      report({ kind: 'commission-timeout', execId: e.execId, orderId: fill.orderId });
      emitFill(fill, rec, spec, undefined);
    }, options.commissionTimeoutMs);
    pending.set(e.execId, { fill, record: rec, spec, timer });
  }

  function emitFill(fill: Fill, rec: OrderRecord | undefined, spec: IbContractSpec, c: Commission | undefined): void {
    let commission = 0;
    if (c) {
      const converted = commissionInQuote(c.commission, c.currency, fill.price, spec);
      if (converted === undefined) report({ kind: 'commission-currency', execId: fill.execId, commission: c.commission, currency: c.currency });
      else commission = converted;
    }
    emit(commission === 0 ? fill : { ...fill, commission });
    if (!rec) return;
    rec.pendingFills--;
    rec.filledQty += fill.qty;
    if (rec.state === 'done') return;
    if (rec.filledQty + 1e-9 >= rec.order.qty) {
      rec.state = 'done';
      emit(orderEvent(rec, 'Filled'));
    } else {
      emit(orderEvent(rec, 'PartiallyFilled'));
      flushDeferred(rec);
    }
  }

  function commissionReport(m: IbMessage<'commissionReport'>): void {
    const execId = m.report.execId;
    const c: Commission = { commission: m.report.commission, currency: m.report.currency ?? '' };
    const p = pending.get(execId);
    if (p) {
      clearTimeout(p.timer);
      pending.delete(execId);
      emitFill(p.fill, p.record, p.spec, c);
      return;
    }
    if (timedOut.has(execId)) {
      timedOut.delete(execId);
      report({ kind: 'late-commission', execId, commission: c.commission, currency: c.currency });
      return;
    }
    // Replays after reqExecutions of fills already emitted carry nothing new.
    if (!seenExecIds.has(execId)) earlyCommissions.set(execId, c);
  }

  // ---- order status, open orders, order errors --------------------------------------------------------------------

  function orderStatus(m: IbMessage<'orderStatus'>): void {
    const rec = byIbId.get(m.orderId);
    if (!rec || rec.state === 'done') return;
    rec.ibFilled = Math.max(rec.ibFilled, m.filled / (rec.spec ? ibQuantityPerUnit(rec.spec) : 1));
    switch (ibStatusMeaning(m.status)) {
      case 'acknowledged':
        acknowledge(rec);
        break;
      case 'cancelled':
        if (rec.state === 'sent') rec.state = 'working';
        terminate(rec, cancelledEvent(rec, rec.lastError));
        break;
      case 'inactive':
        terminate(rec, orderEvent(rec, 'Rejected', { reason: 'BROKER', message: rec.lastError ?? 'TWS set the order Inactive' }));
        break;
      case 'filled':
        // Done at TWS; the fills (and with them Filled) come from the executions.
        if (rec.state === 'sent') rec.state = 'working';
        break;
      case 'pending':
        break;
    }
    flushDeferred(rec);
  }

  function openOrder(m: IbMessage<'openOrder'>, connectionId: number): void {
    const known = byIbId.get(m.orderId);
    if (known) {
      if (ibStatusMeaning(m.orderState.status) === 'acknowledged') acknowledge(known);
      return;
    }
    const ref = parseOrderRef(m.order.orderRef);
    if (!ref || records.has(ref.orderId)) return;
    const symbol = resolveSymbol(m.contract);
    const spec = symbol !== undefined ? contracts[symbol] : undefined;
    if (!symbol || !spec) return;
    const parent = byIbId.get(m.order.parentId ?? 0);
    const parentId = parent?.order.id ?? parentIdOf(ref.orderId, ref.reason);
    const rec: OrderRecord = {
      order: {
        id: ref.orderId,
        strategyId: ref.strategyId,
        symbol,
        ts: now(),
        side: m.order.action,
        qty: m.order.totalQuantity / ibQuantityPerUnit(spec),
        ...adoptedPrices(m.order, spec),
        reason: ref.reason,
        ...(m.order.ocaGroup ? { ocaGroup: m.order.ocaGroup } : {}),
        ...(parentId !== undefined ? { parentId } : {}),
      },
      spec,
      ibOrderId: m.orderId,
      parentIbId: m.order.parentId !== undefined && m.order.parentId > 0 ? m.order.parentId : undefined,
      cancelReason: undefined,
      modification: undefined,
      state: 'working',
      connectionId,
      filledQty: 0,
      ibFilled: 0,
      pendingFills: 0,
      deferredTerminal: undefined,
      lastError: undefined,
    };
    records.set(ref.orderId, rec);
    byIbId.set(m.orderId, rec);
    report({ kind: 'adopted-order', orderId: ref.orderId, ibOrderId: m.orderId });
    // In flight from now on, exactly like an order this run sent: the book counts it as working.
    emit(orderEvent(rec, 'Submitted'));
  }

  function orderError(id: number, code: number, message: string): void {
    const rec = byIbId.get(id);
    if (!rec) return;
    const text = `TWS ${code}: ${message}`;
    const meaning = orderErrorMeaning(code);
    if (meaning === 'cancel-failed') {
      report({ kind: 'cancel-failed', orderId: rec.order.id, code, message });
      return;
    }
    if (rec.state === 'done') return;
    switch (meaning) {
      case 'cancel-reason':
        rec.lastError = text;
        return;
      case 'warning':
        report({ kind: 'order-warning', orderId: rec.order.id, code, message });
        return;
      case 'rejection':
        rec.lastError = text;
        if (rec.state === 'sent') rec.state = 'working';
        terminate(rec, orderEvent(rec, 'Rejected', { reason: 'BROKER', message: text }));
    }
  }

  function settleUnlisted(connectionId: number, listed: ReadonlySet<number>): void {
    for (const rec of records.values()) {
      if (rec.ibOrderId === undefined || rec.connectionId === connectionId || rec.state === 'done' || rec.state === 'held') continue;
      if (listed.has(rec.ibOrderId) || rec.filledQty + 1e-9 >= rec.order.qty || rec.pendingFills > 0) continue;
      if (rec.state === 'sent') {
        reject(rec, 'DISCONNECTED', `sent as IB order ${rec.ibOrderId} as the connection dropped; TWS does not know it`);
        continue;
      }
      // TWS cancels by itself the other legs of a one-cancels-other group that filled, and the children of a
      // parent that ended unfilled: an order of those that it no longer lists was cancelled while we were away.
      const why = cancelReasonOf(rec);
      if (why === 'OCO' || why === 'PARENT') terminate(rec, cancelledEvent(rec, 'cancelled by TWS while the connection was down'));
      else report({ kind: 'order-state-unknown', orderId: rec.order.id, ibOrderId: rec.ibOrderId });
    }
  }

  return {
    track(order) {
      if (records.has(order.id)) throw new Error(`IBKR broker: order id "${order.id}" placed twice`);
      const rec: OrderRecord = {
        order,
        spec: contracts[order.symbol],
        ibOrderId: undefined,
        parentIbId: undefined,
        cancelReason: undefined,
        modification: undefined,
        state: 'held',
        connectionId: 0,
        filledQty: 0,
        ibFilled: 0,
        pendingFills: 0,
        deferredTerminal: undefined,
        lastError: undefined,
      };
      records.set(order.id, rec);
      return rec;
    },
    sent(tracked, ibOrderId, connectionId, parentIbId) {
      const rec = recordOf(tracked);
      rec.ibOrderId = ibOrderId;
      rec.parentIbId = parentIbId;
      rec.state = 'sent';
      rec.connectionId = connectionId;
      // A placement sent after it was modified carries the modification: nothing more to send.
      rec.modification = undefined;
      byIbId.set(ibOrderId, rec);
    },
    reject: (tracked, reason, message) => reject(recordOf(tracked), reason, message),
    cancelHeld(tracked, reason) {
      const rec = recordOf(tracked);
      rec.state = 'done';
      emit(orderEvent(rec, 'Cancelled', { cancelReason: reason, message: 'cancelled before it was sent' }));
    },
    cancelRequested(tracked, reason) {
      recordOf(tracked).cancelReason ??= reason;
    },
    modify(tracked, next) {
      const rec = recordOf(tracked);
      rec.order = next;
      if (rec.state !== 'held') rec.modification = 'pending';
    },
    modificationSent(tracked) {
      recordOf(tracked).modification = 'sent';
    },
    pendingModifications: () => [...records.values()].filter((r) => r.modification === 'pending' && r.state !== 'done' && r.state !== 'held'),
    get: (orderId) => records.get(orderId),
    orderStatus,
    openOrder,
    execDetails,
    commissionReport,
    orderError,
    settleUnlisted,
    working: () => [...records.values()].filter((r) => r.state !== 'done').map((r) => r.order),
    open: () => [...records.values()].filter((r) => r.state !== 'done'),
    awaitingCommission: () => pending.size,
    flushAwaitingCommission() {
      for (const [execId, p] of [...pending]) {
        clearTimeout(p.timer);
        pending.delete(execId);
        report({ kind: 'commission-timeout', execId, orderId: p.fill.orderId });
        emitFill(p.fill, p.record, p.spec, undefined);
      }
    },
    dispose() {
      for (const p of pending.values()) clearTimeout(p.timer);
      pending.clear();
    },
  };
}
