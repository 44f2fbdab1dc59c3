import { EventName } from '@stoqey/ib/dist/api/data/enum/event-name';
import { Subject, Subscription, type Observable } from 'rxjs';
import type { Broker } from '../../broker/types';
import { ConfigError } from '../../core/errors';
import type { ExecutionEvent, Order } from '../../core/types';
import type { BrokerReport } from './brokerReports';
import { FIRST_REQUEST_ID, type IbConnection, type IbEventArgs, type IbInMessageName, type IbSession } from './connection';
import { ibContractOf, type IbContractBook, type IbContractSpec } from './contracts';
import { createExecutionState, type TrackedOrder } from './execution';
import { readIbMessage } from './messages';
import { ibOrderOf, orderProblem, type IbTimeInForce } from './orderMapping';
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
  /** Default GTC (Backtrader orders stay until filled or cancelled). */
  readonly timeInForce?: IbTimeInForce;
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

/** Messages the broker cannot do without: one the client could not decode fails the broker. */
const EXECUTION_MESSAGES: readonly IbInMessageName[] = ['ORDER_STATUS', 'OPEN_ORDER', 'EXECUTION_DATA', 'EXECUTION_DATA_END', 'COMMISSION_REPORT'];

export function createIbkrBroker(options: IbkrBrokerOptions): IbkrBroker {
  const { connection, contracts } = options;
  const now = options.now ?? Date.now;
  const policy = options.whenDisconnected ?? 'hold';
  const recoveryTimeoutMs = options.recoveryTimeoutMs ?? 10_000;
  const timeInForce = options.timeInForce ?? 'GTC';

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
  const held: TrackedOrder[] = [];
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

  /** Sends an order `place` accepted (so its contract is known). */
  function send(order: TrackedOrder, s: IbSession): void {
    const spec = order.spec as IbContractSpec;
    const ibOrderId = connection.nextOrderId();
    execution.sent(order, ibOrderId, s.connectionId);
    s.api.placeOrder(ibOrderId, ibContractOf(spec), ibOrderOf(order.order, spec, { timeInForce, account: account() }));
  }

  function place(order: Order): void {
    if (closed) throw new Error(`IBKR broker: place(${order.id}) after close`);
    const tracked = execution.track(order);
    if (!tracked.spec) return execution.reject(tracked, 'BROKER', `unknown symbol "${order.symbol}": not in the contracts file`);
    const problem = orderProblem(order, tracked.spec);
    if (problem !== undefined) return execution.reject(tracked, 'BROKER', problem);
    const s = canSend();
    if (s && held.length === 0) return send(tracked, s);
    // While connected but recovering (or behind earlier held orders) the order waits whatever the policy.
    if (policy === 'reject' && !isUp()) return execution.reject(tracked, 'DISCONNECTED', 'TWS is not connected; order not sent');
    held.push(tracked);
    report({ kind: 'held', orderId: order.id });
  }

  function releaseHeld(): void {
    let s = canSend();
    while (s && held.length > 0) {
      const order = held.shift() as TrackedOrder;
      if (order.state !== 'held') continue;
      send(order, s);
      report({ kind: 'released', orderId: order.order.id, ibOrderId: order.ibOrderId as number });
      s = canSend();
    }
  }

  function cancel(orderId: string): void {
    const order = execution.get(orderId);
    if (!order || order.state === 'done') return;
    if (order.state === 'held') {
      held.splice(held.indexOf(order), 1);
      execution.cancelHeld(order);
      return;
    }
    const s = connection.currentSession();
    if (s && s.isOpen() && order.ibOrderId !== undefined) s.api.cancelOrder(order.ibOrderId);
    else report({ kind: 'cancel-failed', orderId, code: -1, message: 'TWS is not connected' });
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
    reconcile: (book, timeoutMs = 10_000) => reconcilePositions(book, { connection, contracts, account: account(), timeoutMs, now, report }),
    workingOrders: () => execution.working(),
    awaitingCommission: () => execution.awaitingCommission(),
    async cancelWorking(timeoutMs = 5000) {
      for (const order of execution.open()) cancel(order.order.id);
      const deadline = now() + timeoutMs;
      while (execution.open().length > 0 && now() < deadline && !failed) await new Promise((r) => setTimeout(r, 10));
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
