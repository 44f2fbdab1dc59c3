import { EventName } from '@stoqey/ib/dist/api/data/enum/event-name';
import { Subscription } from 'rxjs';
import type { BrokerReport } from './brokerReports';
import type { IbConnection, IbEventArgs, IbSession } from './connection';
import { describeIbContract, ibQuantityPerUnit, symbolResolver, type IbContractBook } from './contracts';
import type { ExecutionState } from './execution';
import { readIbMessage } from './messages';

/**
 * Reconciliation with TWS, in two parts:
 *
 * - **Recovery**, after every (re)connection (and after 1102, "restored, data maintained"): ask TWS for its open
 *   orders and this client's executions (reqOpenOrders + reqExecutions). The executions replay through the
 *   broker's execDetails handling (fills missed while away are emitted once, by execId); the open orders
 *   acknowledge ours and adopt an earlier run's (by orderRef); once both lists have ended, orders TWS no longer
 *   knows are settled (`ExecutionState.settleUnlisted`). Orders held meanwhile are released when it is done.
 * - **Positions**, at start: ask TWS for the account's positions (reqPositions) and compare them with the book;
 *   every difference is a `position-mismatch` report, never papered over.
 */

export interface RecoveryOptions {
  readonly connection: IbConnection;
  readonly execution: ExecutionState;
  readonly account: string | undefined;
  readonly timeoutMs: number;
  /** Ask only for executions at or after this time (reqExecutions' time filter, epoch ms); undefined: all TWS keeps. */
  readonly executionsSince?: number;
  readonly report: (report: BrokerReport) => void;
  /** Wraps a message handler so that a bad message fails the broker. */
  readonly guard: (handler: (args: IbEventArgs) => void) => (args: IbEventArgs) => void;
  /** Recovery ended (both lists in, or timed out): called before what it found is settled and reported. */
  readonly onEnd: () => void;
  /** After that: held orders may go. */
  readonly onSettled: () => void;
}

/**
 * Starts the recovery on `session`. Unsubscribing the result abandons it (the session ended) without calling
 * `onEnd` or `onSettled`.
 */
export function startRecovery(session: IbSession, options: RecoveryOptions): Subscription {
  const { connection, execution, report } = options;
  const sub = new Subscription();
  const execReqId = connection.nextRequestId();
  const listed = new Set<number>();
  let openDone = false;
  let execDone = false;
  let executions = 0;
  let finished = false;
  const finish = (timedOut: boolean) => {
    if (finished || sub.closed) return;
    finished = true;
    sub.unsubscribe();
    options.onEnd();
    if (timedOut) report({ kind: 'recovery-timeout', connectionId: session.connectionId });
    else {
      execution.settleUnlisted(session.connectionId, listed);
      report({ kind: 'recovered', connectionId: session.connectionId, epoch: session.epoch, executions, openOrders: listed.size });
    }
    options.onSettled();
  };
  const timer = setTimeout(() => finish(true), options.timeoutMs);
  sub.add(() => clearTimeout(timer));
  sub.add(
    session.on(EventName.openOrder).subscribe(
      options.guard((args) => {
        const m = readIbMessage('openOrder', args);
        listed.add(m.orderId);
        execution.openOrder(m, session.connectionId);
      }),
    ),
  );
  sub.add(
    session.on(EventName.openOrderEnd).subscribe(() => {
      openDone = true;
      if (execDone) finish(false);
    }),
  );
  sub.add(
    session.on(EventName.execDetails).subscribe((args) => {
      if (args[0] === execReqId) executions++;
    }),
  );
  sub.add(
    session.on(EventName.execDetailsEnd).subscribe(
      options.guard((args) => {
        if (readIbMessage('execDetailsEnd', args).reqId !== execReqId) return;
        execDone = true;
        if (openDone) finish(false);
      }),
    ),
  );
  session.api.reqOpenOrders();
  session.api.reqExecutions(execReqId, {
    clientId: String(connection.config.clientId),
    acctCode: options.account ?? '',
    ...(options.executionsSince === undefined ? {} : { time: executionFilterTime(options.executionsSince) }),
  });
  return sub;
}

/** reqExecutions' time filter: `yyyyMMdd-HH:mm:ss`, UTC. */
export function executionFilterTime(ts: number): string {
  const iso = new Date(ts).toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 19)}`;
}

// ---- positions -------------------------------------------------------------------------------------------------

export interface BookPosition {
  readonly symbol: string;
  /** Signed units; several entries of one symbol (one per strategy) are summed. */
  readonly qty: number;
}

export interface PositionCheck {
  readonly symbol: string;
  readonly brokerQty: number;
  readonly bookQty: number;
  /** TWS's average cost of its position, per unit (0 when TWS holds none): the price a reconcile adjustment books at. */
  readonly brokerAvgPrice: number;
}

export interface ReconcileReport {
  readonly ts: number;
  readonly account: string;
  readonly positions: readonly PositionCheck[];
  /** Positions whose broker and book quantities differ (also sent as `position-mismatch` reports). */
  readonly mismatches: readonly PositionCheck[];
}

/** Every symbol either side holds, with both quantities (sorted by symbol), and those that differ. */
export function comparePositions(
  brokerQty: ReadonlyMap<string, number>,
  book: readonly BookPosition[],
  brokerAvgPrice: ReadonlyMap<string, number> = new Map(),
): { readonly positions: PositionCheck[]; readonly mismatches: PositionCheck[] } {
  const bookQty = new Map<string, number>();
  for (const p of book) bookQty.set(p.symbol, (bookQty.get(p.symbol) ?? 0) + p.qty);
  const symbols = [...new Set([...brokerQty.keys(), ...bookQty.keys()])].sort();
  const positions = symbols.map((symbol) => ({ symbol, brokerQty: brokerQty.get(symbol) ?? 0, bookQty: bookQty.get(symbol) ?? 0, brokerAvgPrice: brokerAvgPrice.get(symbol) ?? 0 }));
  const mismatches = positions.filter((p) => Math.abs(p.brokerQty - p.bookQty) > 1e-9 * Math.max(1, Math.abs(p.bookQty)));
  return { positions, mismatches };
}

export interface PositionReconcileOptions {
  readonly connection: IbConnection;
  readonly contracts: IbContractBook;
  /** The account to compare (default: the login's only account; all accounts when it has several). */
  readonly account: string | undefined;
  readonly timeoutMs: number;
  readonly now: () => number;
  readonly report: (report: BrokerReport) => void;
}

/** Asks TWS for positions (reqPositions) once a session is up and compares them with `book`. */
export async function reconcilePositions(book: readonly BookPosition[], options: PositionReconcileOptions): Promise<ReconcileReport> {
  const { contracts, timeoutMs } = options;
  const resolveSymbol = symbolResolver(contracts);
  const s = await waitForSession(options.connection, timeoutMs);
  const acct = options.account ?? (s.accounts.length === 1 ? s.accounts[0] : undefined);
  const brokerQty = new Map<string, number>();
  const brokerAvgPrice = new Map<string, number>();
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
          const perUnit = spec ? ibQuantityPerUnit(spec) : 1;
          const units = m.pos / perUnit;
          brokerQty.set(key, (brokerQty.get(key) ?? 0) + units);
          // TWS's average cost is per IB unit, a contract's multiplier included (none, or 0 as TWS sends for cash: 1).
          if (m.avgCost !== undefined && units !== 0) brokerAvgPrice.set(key, (m.avgCost * perUnit) / (m.contract.multiplier || 1));
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
  const { positions, mismatches } = comparePositions(brokerQty, book, brokerAvgPrice);
  const accountName = acct ?? '(all accounts)';
  for (const m of mismatches) options.report({ kind: 'position-mismatch', account: accountName, symbol: m.symbol, brokerQty: m.brokerQty, bookQty: m.bookQty });
  return { ts: options.now(), account: accountName, positions, mismatches };
}

/** The connection's session, as soon as there is one. */
function waitForSession(connection: IbConnection, timeoutMs: number): Promise<IbSession> {
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
