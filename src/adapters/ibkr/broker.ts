import { EventName } from '@stoqey/ib/dist/api/data/enum/event-name';
import { Subject, Subscription, type Observable } from 'rxjs';
import type { Broker } from '../../broker/types';
import { ConfigError } from '../../core/errors';
import { isProtective } from '../../core/orders';
import type { CancelReason, ExecutionEvent, Order } from '../../core/types';
import type { BrokerReport } from './brokerReports';
import { FIRST_REQUEST_ID, type IbConnection, type IbEventArgs, type IbInMessageName, type IbSession } from './connection';
import { ibContractOf, type IbContractBook, type IbContractSpec } from './contracts';
import { createExecutionState, type TrackedOrder } from './execution';
import { readIbMessage } from './messages';
import { ibOrderOf, orderProblem } from './orderMapping';
import { reconcilePositions, startRecovery, type BookPosition, type ReconcileReport } from './reconciliation';

/**
 * The IB broker: orders go to TWS with placeOrder; TWS's orderStatus, openOrder, execDetails and
 * commissionReport come back as OrderEvents and Fills on `events$`. It is a composition of:
 *
 * - the connection (`connection.ts`): sessions, TWS errors and notices;
 * - the order mapping (`orderMapping.ts`): engine order → IB order, IB status and error codes → their meaning;
 * - the execution state machine (`execution.ts`): orders, fills, commissions, execId dedupe;
 * - the reconciliation (`reconciliation.ts`): recovery after each (re)connection, positions at start.
 *
 * What is left here is when an order may go: placed while TWS is reachable and no recovery is running, it is
 * sent at once. Placed while TWS is unreachable (no connection, or its link to IB lost: 1100) it is held and sent
 * in order once TWS is back and recovered (`whenDisconnected: 'hold'`, the default) or rejected with reason
 * DISCONNECTED (`'reject'`). While connected but recovering, it is held whatever the policy.
 *
 * Brackets go as IB does them: the order, then its protective children with `parentId`, every one but the last
 * with `transmit` false, so TWS takes the three together and holds the children until the parent fills; the
 * children share an OCA group (type 1: a fill cancels the others, with block). A modification re-sends the
 * order under its IB id (a child with its parent's id); one TWS cannot be told now waits for the connection.
 */

export type DisconnectedPolicy = 'hold' | 'reject';

export interface IbkrBrokerOptions {
  readonly connection: IbConnection;
  readonly contracts: IbContractBook;
  /** Account for orders and reconciliation (default: the connection's `account`). */
  readonly account?: string;
  readonly whenDisconnected?: DisconnectedPolicy;
  /** Wait for an execution's commissionReport (default 5000 ms). */
  readonly commissionTimeoutMs?: number;
  /** execIds already accounted for by an earlier run (from the runner's store). */
  readonly knownExecIds?: Iterable<string>;
  /** Executions earlier than this (epoch ms) are not emitted as fills (default: broker creation time). */
  readonly recoverExecutionsSince?: number;
  /**
   * The time filter of each recovery's reqExecutions (epoch ms), asked anew at every recovery (e.g. the last fill a
   * journal holds); undefined or absent: every execution TWS keeps.
   */
  readonly executionsSince?: () => number | undefined;
  /** Zone of execution times that carry none (TWS writes its own zone after the time). Default UTC. */
  readonly twsTimeZone?: string;
  /** How long recovery after a (re)connection may take before held orders are released anyway. */
  readonly recoveryTimeoutMs?: number;
  readonly now?: () => number;
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
   * Cancels every working order (adopted ones included) but the protective ones (a clean shutdown: stop-losses
   * and take-profits stay at TWS to protect the position while the engine is down) unless `protective` is true,
   * and waits until each one is terminal; resolves with the orders still working after that or `timeoutMs` (so
   * the caller can say so): the protective ones kept, and any whose cancellation TWS has not confirmed.
   */
  cancelWorking(timeoutMs?: number, options?: { readonly protective?: boolean }): Promise<readonly Order[]>;
  close(): Promise<void>;
}

/** Messages the broker cannot do without: one the client could not decode fails the broker. */
const EXECUTION_MESSAGES: readonly IbInMessageName[] = ['ORDER_STATUS', 'OPEN_ORDER', 'EXECUTION_DATA', 'EXECUTION_DATA_END', 'COMMISSION_REPORT'];

/** An order and the protective children placed with it. */
interface Placement {
  readonly order: TrackedOrder;
  readonly children: readonly TrackedOrder[];
}

export function createIbkrBroker(options: IbkrBrokerOptions): IbkrBroker {
  const { connection, contracts } = options;
  const now = options.now ?? Date.now;
  const policy = options.whenDisconnected ?? 'hold';
  const recoveryTimeoutMs = options.recoveryTimeoutMs ?? 10_000;

  const events$ = new Subject<ExecutionEvent>();
  const reports$ = new Subject<BrokerReport>();
  const report = (r: BrokerReport) => reports$.next(r);
  const account = (): string | undefined => options.account ?? connection.config.account;
  const execution = createExecutionState({
    contracts,
    clientId: connection.config.clientId,
    commissionTimeoutMs: options.commissionTimeoutMs ?? 5000,
    recoverExecutionsSince: options.recoverExecutionsSince ?? now(),
    twsTimeZone: options.twsTimeZone ?? 'UTC',
    knownExecIds: options.knownExecIds,
    now,
    emit: (event) => events$.next(event),
    report,
  });
  /** Placements waiting for TWS (an order with its children), in order. */
  const held: Placement[] = [];
  const subscriptions = new Subscription();
  let session: IbSession | null = null;
  let sessionSub: Subscription | undefined;
  let recoverySub: Subscription | undefined;
  let recovering = false;
  let failed = false;
  let closed = false;

  function fail(error: Error): void {
    if (failed || closed) return;
    failed = true;
    execution.dispose();
    events$.error(error);
  }

  /** A message handler whose throw (a malformed message) fails the broker. */
  function guard(handler: (args: IbEventArgs) => void): (args: IbEventArgs) => void {
    return (args) => {
      try {
        handler(args);
      } catch (e) {
        fail(e as Error);
      }
    };
  }

  // ---- placing ------------------------------------------------------------------------------------------

  /** TWS reachable: a current session and TWS's own link to IB up. */
  function isUp(): boolean {
    const s = connection.currentSession();
    const st = connection.state();
    return s !== null && s.isCurrent() && st.status === 'connected' && st.link === 'ok';
  }

  /** The session to send on now: TWS reachable and no recovery running. */
  function canSend(): IbSession | null {
    return isUp() && !recovering ? connection.currentSession() : null;
  }

  /** Sends a placement `place` accepted (so its contracts are known): the order, then its children. */
  function send(placement: Placement, s: IbSession): void {
    const parent = placement.order;
    const spec = parent.spec as IbContractSpec;
    const contract = ibContractOf(spec);
    const parentIbId = connection.nextOrderId();
    execution.sent(parent, parentIbId, s.connectionId);
    const last = placement.children.length - 1;
    s.api.placeOrder(parentIbId, contract, ibOrderOf(parent.order, spec, { account: account(), transmit: last < 0 }));
    placement.children.forEach((child, i) => {
      const ibOrderId = connection.nextOrderId();
      execution.sent(child, ibOrderId, s.connectionId, parentIbId);
      s.api.placeOrder(ibOrderId, contract, ibOrderOf(child.order, spec, { account: account(), parentIbId, transmit: i === last }));
    });
  }

  function place(order: Order, children: readonly Order[] = []): void {
    if (closed) throw new Error(`IBKR broker: place(${order.id}) after close`);
    const tracked = execution.track(order);
    const trackedChildren = children.map((child) => execution.track(child));
    const problem = !tracked.spec ? `unknown symbol "${order.symbol}": not in the contracts file` : orderProblem(order, tracked.spec);
    if (problem !== undefined) {
      execution.reject(tracked, 'BROKER', problem);
      for (const child of trackedChildren) execution.reject(child, 'BROKER', `parent ${order.id} was rejected`);
      return;
    }
    const accepted: TrackedOrder[] = [];
    for (const child of trackedChildren) {
      const childProblem =
        child.order.parentId !== order.id
          ? `parentId "${child.order.parentId ?? ''}" is not the order it is attached to (${order.id})`
          : child.order.symbol !== order.symbol
            ? 'a child trades its parent\'s symbol'
            : orderProblem(child.order, tracked.spec as IbContractSpec);
      if (childProblem === undefined) accepted.push(child);
      else execution.reject(child, 'BROKER', childProblem);
    }
    const placement: Placement = { order: tracked, children: accepted };
    const s = canSend();
    if (s && held.length === 0) return send(placement, s);
    // While connected but recovering (or behind earlier held orders) the order waits whatever the policy.
    if (policy === 'reject' && !isUp()) {
      execution.reject(tracked, 'DISCONNECTED', 'TWS is not connected; order not sent');
      for (const child of accepted) execution.reject(child, 'DISCONNECTED', 'TWS is not connected; order not sent');
      return;
    }
    held.push(placement);
    report({ kind: 'held', orderId: order.id });
  }

  function releaseHeld(): void {
    let s = canSend();
    while (s && held.length > 0) {
      const placement = held.shift() as Placement;
      if (placement.order.state !== 'held') continue;
      send(placement, s);
      report({ kind: 'released', orderId: placement.order.order.id, ibOrderId: placement.order.ibOrderId as number });
      s = canSend();
    }
    if (s) for (const order of execution.pendingModifications()) sendModification(order, s);
  }

  function cancel(orderId: string, reason: CancelReason = 'REQUESTED'): void {
    const order = execution.get(orderId);
    if (!order || order.state === 'done') return;
    if (order.state === 'held') {
      const i = held.findIndex((p) => p.order === order);
      if (i >= 0) {
        const [placement] = held.splice(i, 1);
        execution.cancelHeld(order, reason);
        for (const child of placement.children) execution.cancelHeld(child, 'PARENT');
      } else execution.cancelHeld(order, reason);
      return;
    }
    execution.cancelRequested(order, reason);
    const s = connection.currentSession();
    if (s && s.isOpen() && order.ibOrderId !== undefined) s.api.cancelOrder(order.ibOrderId);
    else report({ kind: 'cancel-failed', orderId, code: -1, message: 'TWS is not connected' });
  }

  /** Re-sends a modified order under its IB id. */
  function sendModification(order: TrackedOrder, s: IbSession): void {
    const spec = order.spec as IbContractSpec;
    execution.modificationSent(order);
    s.api.placeOrder(
      order.ibOrderId as number,
      ibContractOf(spec),
      ibOrderOf(order.order, spec, { account: account(), parentIbId: order.parentIbId, transmit: true }),
    );
  }

  function modify(order: Order): void {
    const tracked = execution.get(order.id);
    if (!tracked || tracked.state === 'done') return;
    const was = tracked.order;
    if (order.symbol !== was.symbol || order.side !== was.side || order.type !== was.type || order.strategyId !== was.strategyId) {
      throw new RangeError(`modify ${order.id}: symbol, side, type and strategy cannot change (${was.side} ${was.type} ${was.symbol})`);
    }
    const problem = orderProblem(order, tracked.spec as IbContractSpec);
    if (problem !== undefined) throw new RangeError(`modify ${order.id}: ${problem}`);
    // Held: it goes out as modified. Sent: re-sent now, or once TWS is back and recovered.
    execution.modify(tracked, order);
    const s = canSend();
    if (tracked.state !== 'held' && s) sendModification(tracked, s);
  }

  // ---- sessions and recovery ---------------------------------------------------------------------------------

  function attach(s: IbSession): Subscription {
    const sub = new Subscription();
    sub.add(s.on(EventName.execDetails).subscribe(guard((args) => execution.execDetails(readIbMessage('execDetails', args)))));
    sub.add(s.on(EventName.commissionReport).subscribe(guard((args) => execution.commissionReport(readIbMessage('commissionReport', args)))));
    sub.add(s.on(EventName.orderStatus).subscribe(guard((args) => execution.orderStatus(readIbMessage('orderStatus', args)))));
    return sub;
  }

  function recover(s: IbSession): void {
    recovering = true;
    recoverySub?.unsubscribe();
    recoverySub = startRecovery(s, {
      connection,
      execution,
      account: account(),
      timeoutMs: recoveryTimeoutMs,
      executionsSince: options.executionsSince?.(),
      report,
      guard,
      // Only the recovery in progress ends: an abandoned one never calls back.
      onEnd: () => {
        recoverySub = undefined;
        recovering = false;
      },
      onSettled: releaseHeld,
    });
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
      if (e.id >= 0 && e.id < FIRST_REQUEST_ID) execution.orderError(e.id, e.code, e.message);
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
      if (e.messageName && EXECUTION_MESSAGES.includes(e.messageName)) fail(e.error);
    }),
  );

  return {
    name: 'ibkr',
    events$: events$.asObservable(),
    reports$: reports$.asObservable(),
    place,
    cancel,
    modify,
    reconcile: (book, timeoutMs = 10_000) => reconcilePositions(book, { connection, contracts, account: account(), timeoutMs, now, report }),
    workingOrders: () => execution.working(),
    awaitingCommission: () => execution.awaitingCommission(),
    async cancelWorking(timeoutMs = 5000, cancelOptions = {}) {
      // Protective orders stay unless asked: at TWS they protect the position while the engine is down.
      const entries = (): TrackedOrder[] => execution.open().filter((o) => cancelOptions.protective === true || !isProtective(o.order));
      for (const order of entries()) cancel(order.order.id);
      const deadline = now() + timeoutMs;
      while (entries().length > 0 && now() < deadline && !failed) await new Promise((r) => setTimeout(r, 10));
      return execution.open().map((o) => o.order);
    },
    async close() {
      if (closed) return;
      // Fills waiting for a commission report are emitted now (commission 0, reported), never dropped.
      execution.flushAwaitingCommission();
      closed = true;
      subscriptions.unsubscribe();
      sessionSub?.unsubscribe();
      recoverySub?.unsubscribe();
      if (!failed) events$.complete();
      reports$.complete();
    },
  };
}
