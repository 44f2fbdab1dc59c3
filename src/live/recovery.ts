import { merge, Subject } from 'rxjs';
import type { PositionCheck } from '../adapters/ibkr/reconciliation';
import type { Broker } from '../broker/types';
import type { ContractBook, ExecutionEvent, Fill, Order, Position } from '../core/types';
import { rebuildBook, type Journal, type KillState } from '../journal';
import type { Book } from '../portfolio/book';

/**
 * Recovery on start, the parts that read and write the journal (the live runner does the talking to TWS):
 *
 * 1. `recoverFromJournal`: the book the last run left (positions, average prices, realized PnL per strategy in
 *    the quote and the account currency, from the journal's fills and reconcile adjustments), the execIds
 *    already booked, from when TWS's executions are ours to book, and the kill switch.
 * 2. the runner connects; TWS's recovery lists open orders (adopted by orderRef, bracket children included) and
 *    executions since the last journaled fill: each one not booked yet goes through the write-ahead broker
 *    (journaled, then booked) exactly once.
 * 3. `settleOrdersNotAtBroker`: orders the journal holds as sent and working that TWS neither lists nor filled
 *    never reached it (the engine died between the journal and the socket): journaled as rejected, so nothing
 *    counts them in flight and the next decision may trade.
 * 4. positions: TWS's per symbol against the book's (summed over strategies); a difference stops that symbol
 *    (`createTradingGate`) until it is resolved with a reconcile adjustment (`adoptBrokerPosition`).
 */

/** What the journal gives back at start. */
export interface JournalRecovery {
  /** The book to go on from (the run's book: `runTradeRunner({ book })`). */
  readonly book: Book;
  /** Non-flat positions of the rebuilt book, by strategy and symbol. */
  readonly positions: readonly Position[];
  /** Every execId booked already: TWS replaying one of them books nothing. */
  readonly knownExecIds: readonly string[];
  /** Executions of ours (by orderRef) since this time are booked if the journal lacks them: the journal's first run's start. */
  readonly recoverExecutionsSince: number | undefined;
  /** reqExecutions' time filter at each recovery. */
  readonly executionsSince: () => number | undefined;
  readonly killSwitch: KillState;
  /** The run before this one, undefined on a new journal. */
  readonly previousRun: Journal['previousRun'];
}

/**
 * How far before the last journaled fill reqExecutions asks: a fill still waiting for its commission report when
 * the engine died may be older than the last one journaled. Asking for more is free (execIds dedupe).
 */
const EXECUTION_FILTER_MARGIN_MS = 60 * 60 * 1000;

export function recoverFromJournal(journal: Journal, contracts: ContractBook, account: { readonly currency: string; readonly initialCash: number }): JournalRecovery {
  const book = rebuildBook(journal, { contracts, accountCurrency: account.currency, initialCash: account.initialCash });
  const fills = journal.fills();
  const firstRun = journal.runs()[0];
  // This run is journaled already: only an earlier one means the journal has a past. TWS stamps executions to
  // the second: an execution in the first run's first second must not look older than the run.
  const since = journal.previousRun === undefined || firstRun === undefined ? undefined : Math.floor(firstRun.startedAt / 1000) * 1000 - 1000;
  return {
    book,
    positions: book.positions().filter((p) => p.qty !== 0),
    knownExecIds: fills.map((f) => f.fill.execId),
    recoverExecutionsSince: since,
    executionsSince: () => {
      const last = journal.lastFillTs();
      if (last !== undefined) return last - EXECUTION_FILTER_MARGIN_MS;
      return since;
    },
    killSwitch: journal.controlState().killSwitch,
    previousRun: journal.previousRun,
  };
}

/**
 * Orders journaled as sent and still working that the broker does not track after its recovery (TWS neither lists
 * them nor reported a fill that ends them): they never reached TWS. Each is journaled as `Rejected`
 * (DISCONNECTED), so the journal no longer counts it in flight. Returns their ids.
 */
export function settleOrdersNotAtBroker(journal: Journal, atBroker: ReadonlySet<string>, now: number): string[] {
  const settled: string[] = [];
  for (const journaled of journal.workingOrders()) {
    const { order } = journaled;
    if (atBroker.has(order.id)) continue;
    // A protective child waits at TWS under its parent: it is listed when the parent is.
    if (order.parentId !== undefined && atBroker.has(order.parentId)) continue;
    journal.recordOrderEvent({
      kind: 'order',
      status: 'Rejected',
      order,
      ts: now,
      reason: 'DISCONNECTED',
      message: 'journaled as sent, but TWS neither lists it nor filled it after the restart: it never reached TWS',
      filledQty: journaled.filledQty,
    });
    settled.push(order.id);
  }
  // Committed now: a second crash must not find them working again.
  if (settled.length > 0) journal.flush();
  return settled;
}

/** The strategy a symbol's difference is booked to: the first of the config's strategies trading it. */
export function strategyForSymbol(strategies: readonly { readonly id: string; readonly symbol: string }[], symbol: string): string | undefined {
  return strategies.find((s) => s.symbol === symbol)?.id;
}

/**
 * Journals the adjustment that makes the book hold TWS's position in `check.symbol` (booked to `strategyId` at
 * `price`, TWS's average cost) and returns the fill that books it: hand it to `TradingGate.book`.
 */
export function adoptBrokerPosition(
  journal: Journal,
  book: Book,
  check: PositionCheck,
  adjustment: { readonly strategyId: string; readonly price: number; readonly ts: number; readonly reason: string; readonly source: string },
): Fill {
  const qty = check.brokerQty - check.bookQty;
  return journal.recordReconcile(
    { ts: adjustment.ts, strategyId: adjustment.strategyId, symbol: check.symbol, qty, price: adjustment.price, reason: adjustment.reason, source: adjustment.source },
    book.position(adjustment.strategyId, check.symbol),
  );
}

/**
 * The broker the graph trades through while recovery may have stopped symbols: an order of a stopped symbol is
 * refused here (before the journal: it was never sent) with a `Rejected` naming the mismatch; everything else goes
 * to `broker`. `book(fill)` hands a reconcile adjustment's fill to the graph (the ledger books it, the one writer
 * of the book); it is journaled as a control action, not as a fill, so it goes in after the write-ahead broker.
 */
export interface TradingGate {
  readonly broker: Broker;
  stop(symbol: string, why: string): void;
  resume(symbol: string): void;
  stopped(): ReadonlyMap<string, string>;
  book(fill: Fill): void;
}

export function createTradingGate(broker: Broker, now: () => number): TradingGate {
  const stoppedSymbols = new Map<string, string>();
  const injected = new Subject<ExecutionEvent>();
  const refuse = (order: Order, why: string): void =>
    injected.next({ kind: 'order', status: 'Rejected', order, ts: now(), reason: 'BROKER', message: `${order.symbol} is not traded: ${why}` });
  return {
    broker: {
      name: broker.name,
      events$: merge(broker.events$, injected),
      place(order, children = []) {
        const why = stoppedSymbols.get(order.symbol);
        if (why === undefined) return broker.place(order, children);
        refuse(order, why);
        for (const child of children) refuse(child, why);
      },
      cancel: (orderId, reason) => broker.cancel(orderId, reason),
      modify: (order) => broker.modify(order),
      async close() {
        await broker.close?.();
        injected.complete();
      },
    },
    stop: (symbol, why) => void stoppedSymbols.set(symbol, why),
    resume: (symbol) => void stoppedSymbols.delete(symbol),
    stopped: () => stoppedSymbols,
    book: (fill) => injected.next(fill),
  };
}
