import type { Order as IbOrder } from '@stoqey/ib/dist/api/order/order';
import type { OrderAction } from '@stoqey/ib/dist/api/order/enum/order-action';
import type { OrderType as IbOrderType } from '@stoqey/ib/dist/api/order/enum/orderType';
import type { TimeInForce } from '@stoqey/ib/dist/api/order/enum/tif';
import { EventName } from '@stoqey/ib/dist/api/data/enum/event-name';
import { Subject, Subscription, type Observable } from 'rxjs';
import { ConfigError, DataError } from '../../core/errors';
import { zoneOffsetAt } from '../../core/time';
import type { ContractBook, ContractSpec, ExecutionEvent, Fill, Order, OrderEvent, RejectReason } from '../../core/types';
import { FIRST_REQUEST_ID, type IbConnection, type IbSession } from './connection';
import { describeIbContract, ibContractOf, ibQuantityPerUnit, symbolResolver } from './contracts';
import { ibMessageLabel, readIbMessage, type IbMessage } from './messages';
import type { Broker } from '../../broker/types';

/**
 * The IB broker: orders go to TWS with placeOrder; TWS's orderStatus, openOrder, execDetails and
 * commissionReport come back as OrderEvents and Fills on `events$`.
 *
 * Fills and commissions. A Fill is emitted once per execution (deduplicated by execId, across reconnects and
 * reqExecutions replays), when its commissionReport arrives, so `Fill.commission` is TWS's figure (converted to
 * the quote currency when TWS reports it in the base currency, at the execution price). If no report comes
 * within `commissionTimeoutMs`, the fill is emitted with commission 0 and a `commission-timeout` report; a report
 * arriving later is reported as `late-commission` (never applied twice, never silently lost). A correction of
 * an execution (same execId up to the last dot) is reported, not emitted as a second fill.
 *
 * Order events. `Submitted` when TWS acknowledges the order; `PartiallyFilled`/`Filled` right after the Fill
 * they account for (the broker counts filled quantity from the fills it emitted, so "orders in flight" never
 * drops before the position includes the fill); `Cancelled` and `Rejected` (reason BROKER, with TWS's code and
 * text) wait until every execution TWS reported for the order has been emitted as a fill.
 *
 * Disconnects. Orders placed while TWS is unreachable (no connection, or its link to IB lost: 1100) are held
 * and sent in order once it is back (`whenDisconnected: 'hold'`, the default) or rejected with reason
 * DISCONNECTED (`'reject'`). After every (re)connection the broker asks for open orders and executions
 * (reqOpenOrders + reqExecutions for its clientId): fills missed while away are emitted (once), working orders
 * from an earlier run are adopted by their orderRef, and an order sent just before the drop that TWS never
 * acknowledged is rejected as DISCONNECTED. Held orders are released after that recovery.
 *
 * Restarts. Each order carries `rx:<strategyId>:<orderId>` in IB's orderRef, so executions and open orders
 * found after a restart map back to their strategy and order. Executions before `recoverExecutionsSince`
 * (default: when the broker was created) belong to the past run: they are skipped (reconcile covers positions).
 */

export type DisconnectedPolicy = 'hold' | 'reject';

export interface IbkrBrokerOptions {
  readonly connection: IbConnection;
  readonly contracts: ContractBook;
  /** Account for orders and reconciliation (default: the connection's `account`). */
  readonly account?: string;
  readonly whenDisconnected?: DisconnectedPolicy;
  /** Wait for an execution's commissionReport (default 5000 ms). */
  readonly commissionTimeoutMs?: number;
  /** Default GTC (Backtrader orders stay until filled or cancelled). */
  readonly timeInForce?: 'DAY' | 'GTC' | 'IOC';
  /** execIds already accounted for by an earlier run (from the runner's store). */
  readonly knownExecIds?: Iterable<string>;
  /** Executions earlier than this (epoch ms) are not emitted as fills (default: broker creation time). */
  readonly recoverExecutionsSince?: number;
  /** Zone of execution times that carry none (TWS writes its own zone after the time). Default UTC. */
  readonly twsTimeZone?: string;
  /** How long recovery after a (re)connection may take before held orders are released anyway. */
  readonly recoveryTimeoutMs?: number;
  readonly now?: () => number;
}

/** What a broker reports besides order events and fills: for logs, alerts and the runner's decisions. */
export type BrokerReport =
  | { readonly kind: 'position-mismatch'; readonly account: string; readonly symbol: string; readonly brokerQty: number; readonly bookQty: number }
  | { readonly kind: 'commission-timeout'; readonly execId: string; readonly orderId: string }
  | { readonly kind: 'late-commission'; readonly execId: string; readonly commission: number; readonly currency: string }
  | { readonly kind: 'commission-currency'; readonly execId: string; readonly commission: number; readonly currency: string }
  | { readonly kind: 'execution-correction'; readonly execId: string; readonly corrects: string; readonly qty: number; readonly price: number }
  | { readonly kind: 'foreign-execution'; readonly execId: string; readonly contract: string; readonly orderRef: string }
  | { readonly kind: 'held'; readonly orderId: string }
  | { readonly kind: 'released'; readonly orderId: string; readonly ibOrderId: number }
  | { readonly kind: 'adopted-order'; readonly orderId: string; readonly ibOrderId: number }
  | { readonly kind: 'order-state-unknown'; readonly orderId: string; readonly ibOrderId: number }
  | { readonly kind: 'order-warning'; readonly orderId: string; readonly code: number; readonly message: string }
  | { readonly kind: 'cancel-failed'; readonly orderId: string; readonly code: number; readonly message: string }
  | { readonly kind: 'recovered'; readonly connectionId: number; readonly epoch: number; readonly executions: number; readonly openOrders: number }
  | { readonly kind: 'recovery-timeout'; readonly connectionId: number };

export interface BookPosition {
  readonly symbol: string;
  /** Signed units; several entries of one symbol (one per strategy) are summed. */
  readonly qty: number;
}

export interface PositionCheck {
  readonly symbol: string;
  readonly brokerQty: number;
  readonly bookQty: number;
}

export interface ReconcileReport {
  readonly ts: number;
  readonly account: string;
  readonly positions: readonly PositionCheck[];
  /** Positions whose broker and book quantities differ (also sent as `position-mismatch` reports). */
  readonly mismatches: readonly PositionCheck[];
}

export interface IbkrBroker extends Broker {
  readonly reports$: Observable<BrokerReport>;
  /** Asks TWS for positions (reqPositions) and compares them with the book; waits for a connection. */
  reconcile(book: readonly BookPosition[], timeoutMs?: number): Promise<ReconcileReport>;
  /** Orders sent or held and not yet filled, cancelled or rejected. */
  workingOrders(): readonly Order[];
  /**
   * Executions received whose fill waits for its commissionReport (at most `commissionTimeoutMs`): a clean
   * shutdown waits for zero before it stops listening, so no fill is left unbooked.
   */
  awaitingCommission(): number;
  /**
   * Cancels every working order (a clean shutdown) and waits until each one is terminal; resolves with those
   * still working after `timeoutMs` (so the caller can say so), empty when all ended.
   */
  cancelWorking(timeoutMs?: number): Promise<readonly Order[]>;
  close(): Promise<void>;
}

const ORDER_REF_PREFIX = 'rx:';

/** IB orderRef for an order: survives restarts, so fills find their strategy. */
export function orderRefOf(order: Pick<Order, 'strategyId' | 'id'>): string {
  return `${ORDER_REF_PREFIX}${encodeURIComponent(order.strategyId)}:${encodeURIComponent(order.id)}`;
}

export function parseOrderRef(ref: string | undefined): { strategyId: string; orderId: string } | undefined {
  if (!ref || !ref.startsWith(ORDER_REF_PREFIX)) return undefined;
  const parts = ref.slice(ORDER_REF_PREFIX.length).split(':');
  if (parts.length !== 2) return undefined;
  try {
    return { strategyId: decodeURIComponent(parts[0]), orderId: decodeURIComponent(parts[1]) };
  } catch {
    return undefined;
  }
}

/** Epoch ms of a TWS execution time: `yyyyMMdd  HH:mm:ss` or `yyyyMMdd-HH:mm:ss`, optionally ` <IANA zone>`. */
export function parseExecutionTime(text: string, defaultZone: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})[ -]+(\d{2}):(\d{2}):(\d{2})(?:\s+(\S+))?$/.exec(text.trim());
  if (!m) return undefined;
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  const zone = m[7] ?? defaultZone;
  try {
    const guess = wall - zoneOffsetAt(zone, wall);
    return wall - zoneOffsetAt(zone, guess);
  } catch {
    return undefined;
  }
}

/** TWS error codes on an order that are notices: the order lives on. */
const ORDER_NOTICES = new Set([202, 399, 404, 434, 2109, 2148, 10167, 10168]);
/** TWS error codes answering a cancel request that failed. */
const CANCEL_FAILURES = new Set([161, 10147, 10148, 10149]);

interface OrderRecord {
  order: Order;
  readonly spec: ContractSpec | undefined;
  ibOrderId: number | undefined;
  /** held: not sent; sent: sent, not acknowledged; working: acknowledged; done: terminal event emitted. */
  state: 'held' | 'sent' | 'working' | 'done';
  /** Connection on which it was sent. */
  connectionId: number;
  filledQty: number;
  /** Filled quantity TWS reported in orderStatus (the fills may still be on their way). */
  ibFilled: number;
  pendingFills: number;
  /** A terminal Cancelled/Rejected waiting for the fills before it. */
  deferredTerminal: OrderEvent | undefined;
  lastError: string | undefined;
  /** Adopted after a restart: no order events were ever emitted for it. */
  readonly adopted: boolean;
}

interface PendingFill {
  readonly fill: Fill;
  readonly record: OrderRecord | undefined;
  readonly spec: ContractSpec | undefined;
  readonly timer: NodeJS.Timeout;
}

export function createIbkrBroker(options: IbkrBrokerOptions): IbkrBroker {
  const { connection, contracts } = options;
  const now = options.now ?? Date.now;
  const policy = options.whenDisconnected ?? 'hold';
  const commissionTimeoutMs = options.commissionTimeoutMs ?? 5000;
  const recoveryTimeoutMs = options.recoveryTimeoutMs ?? 10_000;
  const twsZone = options.twsTimeZone ?? 'UTC';
  const recoverSince = options.recoverExecutionsSince ?? now();
  const tif = options.timeInForce ?? 'GTC';
  const resolveSymbol = symbolResolver(contracts);

  const events$ = new Subject<ExecutionEvent>();
  const reports$ = new Subject<BrokerReport>();
  const records = new Map<string, OrderRecord>();
  const byIbId = new Map<number, OrderRecord>();
  const held: OrderRecord[] = [];
  const seenExecIds = new Set<string>(options.knownExecIds ?? []);
  const execIdByBase = new Map<string, string>();
  for (const id of seenExecIds) execIdByBase.set(execBase(id), id);
  const pending = new Map<string, PendingFill>();
  const earlyCommissions = new Map<string, { commission: number; currency: string }>();
  const timedOut = new Set<string>();
  const subscriptions = new Subscription();
  let session: IbSession | null = null;
  let recovering = false;
  let failed = false;
  let closed = false;

  const account = (): string | undefined => options.account ?? connection.config.account;
  const report = (r: BrokerReport) => reports$.next(r);

  function fail(error: Error): void {
    if (failed || closed) return;
    failed = true;
    for (const p of pending.values()) clearTimeout(p.timer);
    pending.clear();
    events$.error(error);
  }

  function orderEvent(rec: OrderRecord, status: OrderEvent['status'], extra: Partial<OrderEvent> = {}): OrderEvent {
    return { kind: 'order', status, order: rec.order, ts: now(), filledQty: rec.filledQty, ...extra };
  }

  function emitOrderEvent(rec: OrderRecord, event: OrderEvent): void {
    if (rec.adopted) return;
    events$.next(event);
  }

  /** Emits a terminal event now, or once the order's reported executions have all been emitted as fills. */
  function terminate(rec: OrderRecord, event: OrderEvent): void {
    if (rec.state === 'done') return;
    if (rec.pendingFills > 0 || rec.filledQty + 1e-9 < rec.ibFilled) {
      rec.deferredTerminal ??= event;
      return;
    }
    rec.state = 'done';
    emitOrderEvent(rec, { ...event, filledQty: rec.filledQty });
  }

  function flushDeferred(rec: OrderRecord): void {
    const t = rec.deferredTerminal;
    if (!t || rec.state === 'done') return;
    if (rec.pendingFills > 0 || rec.filledQty + 1e-9 < rec.ibFilled) return;
    rec.deferredTerminal = undefined;
    terminate(rec, t);
  }

  // ---- placing ------------------------------------------------------------------------------------------

  /** TWS reachable: a current session and TWS's own link to IB up. */
  function isUp(): boolean {
    const s = connection.currentSession();
    const st = connection.state();
    return s !== null && s.isCurrent() && st.status === 'connected' && st.link === 'ok';
  }

  function canSend(): IbSession | null {
    const s = connection.currentSession();
    const st = connection.state();
    if (!s || !s.isCurrent() || st.status !== 'connected' || st.link !== 'ok' || recovering) return null;
    return s;
  }

  function ibOrderOf(rec: OrderRecord, spec: ContractSpec): IbOrder {
    const o = rec.order;
    const type: IbOrderType = (o.type === 'MARKET' ? 'MKT' : o.type === 'LIMIT' ? 'LMT' : 'STP') as IbOrderType;
    const acct = account();
    return {
      action: o.side as OrderAction,
      totalQuantity: o.qty * ibQuantityPerUnit(spec),
      orderType: type,
      ...(o.type === 'LIMIT' ? { lmtPrice: o.limitPrice } : {}),
      ...(o.type === 'STOP' ? { auxPrice: o.stopPrice } : {}),
      tif: tif as TimeInForce,
      orderRef: orderRefOf(o),
      transmit: true,
      ...(acct ? { account: acct } : {}),
    };
  }

  function send(rec: OrderRecord, s: IbSession): void {
    const spec = rec.spec as ContractSpec;
    const ibOrderId = connection.nextOrderId();
    rec.ibOrderId = ibOrderId;
    rec.state = 'sent';
    rec.connectionId = s.connectionId;
    byIbId.set(ibOrderId, rec);
    s.api.placeOrder(ibOrderId, ibContractOf(spec), ibOrderOf(rec, spec));
  }

  function reject(rec: OrderRecord, reason: RejectReason, message: string): void {
    rec.state = 'done';
    emitOrderEvent(rec, orderEvent(rec, 'Rejected', { reason, message }));
  }

  function place(order: Order): void {
    if (closed) throw new Error(`IBKR broker: place(${order.id}) after close`);
    if (records.has(order.id)) throw new Error(`IBKR broker: order id "${order.id}" placed twice`);
    const spec = contracts[order.symbol];
    const rec: OrderRecord = {
      order,
      spec,
      ibOrderId: undefined,
      state: 'held',
      connectionId: 0,
      filledQty: 0,
      ibFilled: 0,
      pendingFills: 0,
      deferredTerminal: undefined,
      lastError: undefined,
      adopted: false,
    };
    records.set(order.id, rec);
    if (!spec) return reject(rec, 'BROKER', `unknown symbol "${order.symbol}": not in the contracts file`);
    const ibQty = order.qty * ibQuantityPerUnit(spec);
    if (!(ibQty > 0) || Math.abs(ibQty - Math.round(ibQty)) > 1e-9) {
      return reject(rec, 'BROKER', `${order.qty} units of ${order.symbol} is not a whole number of IB contracts (${spec.multiplier} units each)`);
    }
    if ((order.type === 'LIMIT' && !((order.limitPrice ?? 0) > 0)) || (order.type === 'STOP' && !((order.stopPrice ?? 0) > 0))) {
      return reject(rec, 'BROKER', `${order.type} order without a positive ${order.type === 'LIMIT' ? 'limitPrice' : 'stopPrice'}`);
    }
    const s = canSend();
    if (s && held.length === 0) return send(rec, s);
    // While connected but recovering (or behind earlier held orders) the order waits whatever the policy.
    if (policy === 'reject' && !isUp()) return reject(rec, 'DISCONNECTED', 'TWS is not connected; order not sent');
    held.push(rec);
    report({ kind: 'held', orderId: order.id });
  }

  function releaseHeld(): void {
    let s = canSend();
    while (s && held.length > 0) {
      const rec = held.shift() as OrderRecord;
      if (rec.state !== 'held') continue;
      send(rec, s);
      report({ kind: 'released', orderId: rec.order.id, ibOrderId: rec.ibOrderId as number });
      s = canSend();
    }
  }

  function cancel(orderId: string): void {
    const rec = records.get(orderId);
    if (!rec || rec.state === 'done') return;
    if (rec.state === 'held') {
      held.splice(held.indexOf(rec), 1);
      rec.state = 'done';
      emitOrderEvent(rec, orderEvent(rec, 'Cancelled', { message: 'cancelled before it was sent' }));
      return;
    }
    const s = connection.currentSession();
    if (s && s.isOpen() && rec.ibOrderId !== undefined) s.api.cancelOrder(rec.ibOrderId);
    else report({ kind: 'cancel-failed', orderId, code: -1, message: 'TWS is not connected' });
  }

  // ---- executions and commissions ------------------------------------------------------------------------

  function execBase(execId: string): string {
    const i = execId.lastIndexOf('.');
    return i > 0 ? execId.slice(0, i) : execId;
  }

  function recordOfExecution(e: IbMessage<'execDetails'>['execution']): OrderRecord | undefined {
    const ours = e.clientId === undefined || e.clientId === connection.config.clientId;
    const byId = ours ? byIbId.get(e.orderId) : undefined;
    if (byId) return byId;
    const ref = parseOrderRef(e.orderRef);
    return ref ? records.get(ref.orderId) : undefined;
  }

  function onExecDetails(args: readonly unknown[]): void {
    const m = readIbMessage('execDetails', args);
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
    const ts = parseExecutionTime(e.time, twsZone);
    if (ts === undefined) {
      throw new DataError('not a TWS time "yyyyMMdd HH:mm:ss [zone]"', { file: ibMessageLabel('execDetails'), field: 'execution.time' }, `got ${JSON.stringify(e.time)}`);
    }
    const rec = recordOfExecution(e);
    const ref = parseOrderRef(e.orderRef);
    if (!rec && !ref) {
      report({ kind: 'foreign-execution', execId: e.execId, contract: describeIbContract(m.contract), orderRef: e.orderRef ?? '' });
      return;
    }
    if (!rec && ts < recoverSince) return;
    const symbol = rec?.order.symbol ?? resolveSymbol(m.contract);
    const spec = symbol !== undefined ? contracts[symbol] : undefined;
    if (symbol === undefined || !spec) {
      report({ kind: 'foreign-execution', execId: e.execId, contract: describeIbContract(m.contract), orderRef: e.orderRef ?? '' });
      return;
    }
    const fill: Fill = {
      kind: 'fill',
      execId: e.execId,
      orderId: rec?.order.id ?? (ref as { orderId: string }).orderId,
      strategyId: rec?.order.strategyId ?? (ref as { strategyId: string }).strategyId,
      symbol,
      ts,
      side: e.side === 'BOT' ? 'BUY' : 'SELL',
      qty: e.shares / ibQuantityPerUnit(spec),
      price: e.price,
      commission: 0,
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
    }, commissionTimeoutMs);
    pending.set(e.execId, { fill, record: rec, spec, timer });
  }

  function commissionInQuote(fill: Fill, spec: ContractSpec, c: { commission: number; currency: string }): number | undefined {
    if (c.currency === '' || c.currency === spec.quoteCurrency) return c.commission;
    if (c.currency === spec.baseCurrency) return c.commission * fill.price;
    return undefined;
  }

  function emitFill(fill: Fill, rec: OrderRecord | undefined, spec: ContractSpec, c: { commission: number; currency: string } | undefined): void {
    let commission = 0;
    if (c) {
      const converted = commissionInQuote(fill, spec, c);
      if (converted === undefined) report({ kind: 'commission-currency', execId: fill.execId, commission: c.commission, currency: c.currency });
      else commission = converted;
    }
    events$.next(commission === 0 ? fill : { ...fill, commission });
    if (!rec) return;
    rec.pendingFills--;
    rec.filledQty += fill.qty;
    if (rec.state === 'done') return;
    if (rec.filledQty + 1e-9 >= rec.order.qty) {
      rec.state = 'done';
      emitOrderEvent(rec, orderEvent(rec, 'Filled'));
    } else {
      emitOrderEvent(rec, orderEvent(rec, 'PartiallyFilled'));
      flushDeferred(rec);
    }
  }

  function onCommissionReport(args: readonly unknown[]): void {
    const m = readIbMessage('commissionReport', args);
    const c = { commission: m.report.commission, currency: m.report.currency ?? '' };
    const p = pending.get(m.report.execId);
    if (p) {
      clearTimeout(p.timer);
      pending.delete(m.report.execId);
      emitFill(p.fill, p.record, p.spec as ContractSpec, c);
      return;
    }
    if (timedOut.has(m.report.execId)) {
      timedOut.delete(m.report.execId);
      report({ kind: 'late-commission', execId: m.report.execId, commission: c.commission, currency: c.currency });
      return;
    }
    // Replays after reqExecutions of fills already emitted carry nothing new.
    if (!seenExecIds.has(m.report.execId)) earlyCommissions.set(m.report.execId, c);
  }

  // ---- order status ----------------------------------------------------------------------------------------

  function onOrderStatus(args: readonly unknown[]): void {
    const m = readIbMessage('orderStatus', args);
    const rec = byIbId.get(m.orderId);
    if (!rec || rec.state === 'done') return;
    rec.ibFilled = Math.max(rec.ibFilled, m.filled / (rec.spec ? ibQuantityPerUnit(rec.spec) : 1));
    switch (m.status) {
      case 'PreSubmitted':
      case 'Submitted':
        if (rec.state === 'sent') {
          rec.state = 'working';
          emitOrderEvent(rec, orderEvent(rec, 'Submitted'));
        }
        break;
      case 'Cancelled':
      case 'ApiCancelled':
        if (rec.state === 'sent') rec.state = 'working';
        terminate(rec, orderEvent(rec, 'Cancelled', rec.lastError ? { message: rec.lastError } : {}));
        break;
      case 'Inactive':
        terminate(rec, orderEvent(rec, 'Rejected', { reason: 'BROKER', message: rec.lastError ?? 'TWS set the order Inactive' }));
        break;
      case 'Filled':
        if (rec.state === 'sent') rec.state = 'working';
        break;
      default:
        break;
    }
    flushDeferred(rec);
  }

  function onOpenOrder(args: readonly unknown[], seen: Set<number> | undefined): void {
    const m = readIbMessage('openOrder', args);
    seen?.add(m.orderId);
    const known = byIbId.get(m.orderId);
    if (known) {
      if (known.state === 'sent' && (m.orderState.status === 'Submitted' || m.orderState.status === 'PreSubmitted')) {
        known.state = 'working';
        emitOrderEvent(known, orderEvent(known, 'Submitted'));
      }
      return;
    }
    const ref = parseOrderRef(m.order.orderRef);
    if (!ref || records.has(ref.orderId)) return;
    const symbol = resolveSymbol(m.contract);
    const spec = symbol !== undefined ? contracts[symbol] : undefined;
    if (!symbol || !spec) return;
    const ibType = m.order.orderType;
    const rec: OrderRecord = {
      order: {
        id: ref.orderId,
        strategyId: ref.strategyId,
        symbol,
        ts: now(),
        side: m.order.action,
        qty: m.order.totalQuantity / ibQuantityPerUnit(spec),
        type: ibType === 'LMT' ? 'LIMIT' : ibType === 'STP' ? 'STOP' : 'MARKET',
      },
      spec,
      ibOrderId: m.orderId,
      state: 'working',
      connectionId: session?.connectionId ?? 0,
      filledQty: 0,
      ibFilled: 0,
      pendingFills: 0,
      deferredTerminal: undefined,
      lastError: undefined,
      adopted: true,
    };
    records.set(ref.orderId, rec);
    byIbId.set(m.orderId, rec);
    report({ kind: 'adopted-order', orderId: ref.orderId, ibOrderId: m.orderId });
  }

  function onOrderError(id: number, code: number, message: string): void {
    const rec = byIbId.get(id);
    if (!rec) return;
    const text = `TWS ${code}: ${message}`;
    if (CANCEL_FAILURES.has(code)) {
      report({ kind: 'cancel-failed', orderId: rec.order.id, code, message });
      return;
    }
    if (rec.state === 'done') return;
    if (code === 202) {
      rec.lastError = text;
      return;
    }
    if ((code >= 2100 && code < 3000) || ORDER_NOTICES.has(code) || code >= 10000) {
      report({ kind: 'order-warning', orderId: rec.order.id, code, message });
      return;
    }
    rec.lastError = text;
    if (rec.state === 'sent') rec.state = 'working';
    terminate(rec, orderEvent(rec, 'Rejected', { reason: 'BROKER', message: text }));
  }

  // ---- sessions and recovery ---------------------------------------------------------------------------------

  function guard(fn: (args: readonly unknown[]) => void): (args: readonly unknown[]) => void {
    return (args) => {
      try {
        fn(args);
      } catch (e) {
        fail(e as Error);
      }
    };
  }

  function attach(s: IbSession): Subscription {
    const sub = new Subscription();
    sub.add(s.on(EventName.execDetails).subscribe(guard(onExecDetails)));
    sub.add(s.on(EventName.commissionReport).subscribe(guard(onCommissionReport)));
    sub.add(s.on(EventName.orderStatus).subscribe(guard(onOrderStatus)));
    return sub;
  }

  let sessionSub: Subscription | undefined;
  let recoverySub: Subscription | undefined;

  function recover(s: IbSession): void {
    recovering = true;
    recoverySub?.unsubscribe();
    const sub = new Subscription();
    recoverySub = sub;
    const execReqId = connection.nextRequestId();
    const openSeen = new Set<number>();
    let openDone = false;
    let execDone = false;
    let executions = 0;
    const finish = (timedOutRecovery: boolean) => {
      if (recoverySub !== sub) return;
      sub.unsubscribe();
      recoverySub = undefined;
      recovering = false;
      if (timedOutRecovery) report({ kind: 'recovery-timeout', connectionId: s.connectionId });
      else {
        for (const rec of records.values()) {
          if (rec.ibOrderId === undefined || rec.connectionId === s.connectionId || rec.state === 'done' || rec.state === 'held') continue;
          if (openSeen.has(rec.ibOrderId) || rec.filledQty + 1e-9 >= rec.order.qty || rec.pendingFills > 0) continue;
          if (rec.state === 'sent') reject(rec, 'DISCONNECTED', `sent as IB order ${rec.ibOrderId} as the connection dropped; TWS does not know it`);
          else report({ kind: 'order-state-unknown', orderId: rec.order.id, ibOrderId: rec.ibOrderId });
        }
        report({ kind: 'recovered', connectionId: s.connectionId, epoch: s.epoch, executions, openOrders: openSeen.size });
      }
      releaseHeld();
    };
    const timer = setTimeout(() => finish(true), recoveryTimeoutMs);
    sub.add(() => clearTimeout(timer));
    sub.add(s.on(EventName.openOrder).subscribe(guard((args) => onOpenOrder(args, openSeen))));
    sub.add(
      s.on(EventName.openOrderEnd).subscribe(() => {
        openDone = true;
        if (execDone) finish(false);
      }),
    );
    sub.add(
      s.on(EventName.execDetails).subscribe((args) => {
        if (args[0] === execReqId) executions++;
      }),
    );
    sub.add(
      s.on(EventName.execDetailsEnd).subscribe(
        guard((args) => {
          if (readIbMessage('execDetailsEnd', args).reqId !== execReqId) return;
          execDone = true;
          if (openDone) finish(false);
        }),
      ),
    );
    s.api.reqOpenOrders();
    s.api.reqExecutions(execReqId, { clientId: String(connection.config.clientId), acctCode: account() ?? '' });
  }

  subscriptions.add(
    connection.session$.subscribe({
      next: (s) => {
        if (s === null) {
          session = null;
          recoverySub?.unsubscribe();
          recoverySub = undefined;
          recovering = false;
          return;
        }
        const acct = account();
        if (acct && s.accounts.length > 0 && !s.accounts.includes(acct)) {
          fail(new ConfigError(`account "${acct}" is not one of this TWS login's accounts (${s.accounts.join(', ')})`, 'IBKR broker'));
          return;
        }
        if (session === null || session.connectionId !== s.connectionId) {
          sessionSub?.unsubscribe();
          sessionSub = attach(s);
        }
        session = s;
        recover(s);
      },
      error: (e) => fail(e as Error),
    }),
  );
  subscriptions.add(
    connection.errors$.subscribe((e) => {
      if (e.id >= 0 && e.id < FIRST_REQUEST_ID) onOrderError(e.id, e.code, e.message);
    }),
  );
  subscriptions.add(
    connection.notices$.subscribe((n) => {
      // 1102: TWS's link to IB is back with nothing lost; executions may have been reported in between.
      if (n.kind === 'connectivity' && n.code === 1102) {
        const s = connection.currentSession();
        if (s && !recovering) recover(s);
      }
    }),
  );
  subscriptions.add(
    connection.protocolErrors$.subscribe((e) => {
      if (e.messageName && ['ORDER_STATUS', 'OPEN_ORDER', 'EXECUTION_DATA', 'EXECUTION_DATA_END', 'COMMISSION_REPORT'].includes(e.messageName)) fail(e.error);
    }),
  );

  // ---- reconcile ------------------------------------------------------------------------------------------------

  function waitForSession(timeoutMs: number): Promise<IbSession> {
    return new Promise((resolve, reject) => {
      let sub: Subscription | undefined = undefined;
      const timer = setTimeout(() => {
        sub?.unsubscribe();
        reject(new Error(`IBKR broker: no TWS connection within ${timeoutMs} ms`));
      }, timeoutMs);
      sub = connection.session$.subscribe({
        next: (s) => {
          if (!s) return;
          clearTimeout(timer);
          queueMicrotask(() => sub?.unsubscribe());
          resolve(s);
        },
        error: (e) => {
          clearTimeout(timer);
          reject(e);
        },
        complete: () => {
          clearTimeout(timer);
          reject(new Error('IBKR broker: connection closed'));
        },
      });
    });
  }

  async function reconcile(book: readonly BookPosition[], timeoutMs = 10_000): Promise<ReconcileReport> {
    const s = await waitForSession(timeoutMs);
    const acct = account() ?? (s.accounts.length === 1 ? s.accounts[0] : undefined);
    const brokerQty = new Map<string, number>();
    await new Promise<void>((resolve, reject) => {
      const sub = new Subscription();
      const timer = setTimeout(() => {
        sub.unsubscribe();
        reject(new Error(`IBKR broker: no positionEnd within ${timeoutMs} ms`));
      }, timeoutMs);
      sub.add(() => clearTimeout(timer));
      sub.add(
        s.on(EventName.position).subscribe((args) => {
          try {
            const m = readIbMessage('position', args);
            if (acct !== undefined && m.account !== acct) return;
            const symbol = resolveSymbol(m.contract);
            const spec = symbol !== undefined ? contracts[symbol] : undefined;
            const key = symbol ?? describeIbContract(m.contract);
            const units = spec ? m.pos / ibQuantityPerUnit(spec) : m.pos;
            brokerQty.set(key, (brokerQty.get(key) ?? 0) + units);
          } catch (e) {
            sub.unsubscribe();
            reject(e);
          }
        }),
      );
      sub.add(
        s.on(EventName.positionEnd).subscribe(() => {
          sub.unsubscribe();
          if (s.isOpen()) s.api.cancelPositions();
          resolve();
        }),
      );
      s.api.reqPositions();
    });
    const bookQty = new Map<string, number>();
    for (const p of book) bookQty.set(p.symbol, (bookQty.get(p.symbol) ?? 0) + p.qty);
    const symbols = [...new Set([...brokerQty.keys(), ...bookQty.keys()])].sort();
    const positions: PositionCheck[] = symbols.map((symbol) => ({ symbol, brokerQty: brokerQty.get(symbol) ?? 0, bookQty: bookQty.get(symbol) ?? 0 }));
    const mismatches = positions.filter((p) => Math.abs(p.brokerQty - p.bookQty) > 1e-9 * Math.max(1, Math.abs(p.bookQty)));
    const accountName = acct ?? '(all accounts)';
    for (const m of mismatches) report({ kind: 'position-mismatch', account: accountName, ...m });
    return { ts: now(), account: accountName, positions, mismatches };
  }

  function workingOrders(): Order[] {
    return [...records.values()].filter((r) => r.state !== 'done' && !r.adopted).map((r) => r.order);
  }

  return {
    name: 'ibkr',
    events$: events$.asObservable(),
    reports$: reports$.asObservable(),
    place,
    cancel,
    reconcile,
    workingOrders,
    awaitingCommission: () => pending.size,
    async cancelWorking(timeoutMs = 5000) {
      const open = () => [...records.values()].filter((r) => r.state !== 'done');
      for (const rec of open()) cancel(rec.order.id);
      const deadline = now() + timeoutMs;
      while (open().length > 0 && now() < deadline && !failed) await new Promise((r) => setTimeout(r, 10));
      return open().map((r) => r.order);
    },
    async close() {
      if (closed) return;
      // Fills waiting for a commission report are emitted now (commission 0, reported), never dropped.
      for (const [execId, p] of [...pending]) {
        clearTimeout(p.timer);
        pending.delete(execId);
        report({ kind: 'commission-timeout', execId, orderId: p.fill.orderId });
        emitFill(p.fill, p.record, p.spec as ContractSpec, undefined);
      }
      closed = true;
      subscriptions.unsubscribe();
      sessionSub?.unsubscribe();
      recoverySub?.unsubscribe();
      if (!failed) events$.complete();
      reports$.complete();
    },
  };
}
