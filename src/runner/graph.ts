import { map, merge, Observable, tap, type Subscriber } from 'rxjs';
import { operate } from '../../operators/operate';
import { markToMarket } from '../../operators/markToMarket';
import { riskGate } from '../../operators/riskGate';
import { route } from '../../operators/route';
import type { Broker } from '../broker/types';
import { contractFor } from '../core/contracts';
import { ConfigError } from '../core/errors';
import type { Bar, ContractBook, Signal } from '../core/types';
import type { Book, BookView } from '../portfolio/book';
import { ordersFromSignals } from '../portfolio/orders';
import type { PortfolioUpdate } from '../portfolio/types';
import type { RiskLimits } from '../risk/limits';
import { sizeSignals } from '../risk/sizeSignals';
import type { Sizer } from '../risk/sizers';
import { signalOf, type Strategy } from '../strategy/types';

export interface GraphOptions {
  /** Closed bars, any symbols, in event-time order; cold or hot, synchronous (replay) or not (live). */
  readonly bars$: Observable<Bar>;
  /** Each trades its own symbol under its own id (unique in the graph); each still sees every bar of the stream. */
  readonly strategies: ReadonlyArray<Strategy>;
  readonly broker: Broker;
  readonly book: Book;
  readonly contracts: ContractBook;
  /** Opt-in limits; none → nothing is refused. */
  readonly limits?: RiskLimits;
  readonly killSwitch$?: Observable<boolean>;
  /** Re-sizes signal targets (sign kept) before orders are derived; none → targets as the strategies say. */
  readonly sizer?: Sizer;
  /** Prepended to order ids (`ordersFromSignals`): live runs make ids unique per run; replay leaves it empty. */
  readonly orderIdPrefix?: string;
  /** See `RouteOptions.drain`: false for replay (default), true for a live shutdown that waits for the broker. */
  readonly drain?: boolean;
}

/** A strategy changed its target. */
export interface SignalEvent {
  readonly kind: 'signal';
  readonly signal: Signal;
}

/**
 * Everything a runner, report or UI needs, in the order it happened: signals, order events (risk decisions
 * and broker statuses), fills, closed trades and one mark per bar.
 */
export type GraphEvent = SignalEvent | PortfolioUpdate;

export interface Graph {
  /**
   * The run. Subscribing wires the graph and then connects `bars$`; it can be subscribed ONCE (the book and
   * broker are stateful). Completes when `bars$` completes (orders still working stay working: see
   * `book.workingOrders()`), errors when the source, a strategy, the broker or the book does.
   */
  readonly events$: Observable<GraphEvent>;
  /** Cancels every order the book has working (live shutdown; the cancellations arrive on `events$`). */
  cancelWorking(): void;
}

/**
 * The one composition replay and live share. Per bar, in this order (`step` below):
 *
 * ```
 * bars$ ─► step(bar) ─► 1. settle  broker.onBar(bar): orders pending fill at the bar's open (replay broker) ─┐
 *                       2. mark    the ledger marks the bar's close                                        │
 *                       3. decide  the strategies see the bar                                              │
 *                                     │                                                                    │
 *            strategy A ─┐            ▼                                                                    │
 *            strategy B ─┴─► signals ─► sizer? ─► ordersFromSignals(view) ─► riskGate(view) ─► route(broker) ─┤
 *                                                                                                          ▼
 *                         ledger = markToMarket(book): the book's one writer ◄── fills, order events, bars
 *                                     └─► events$ (marks, order events, fills, trades; signals as decided)
 * ```
 *
 * The book has one writer, the ledger: everything that changes it (a bar's mark, a broker's fill, a risk
 * decision) reaches it as an event, in the order it happened. The order path reads it only through a
 * `BookView` (queries, no writes). `step` is what orders those reads and writes: the broker settles on the bar
 * first, and a replay broker reports its fills synchronously through `route` into the ledger, so they are
 * booked before the mark (2) and before any strategy decides on the bar (3); an order a strategy decides
 * passes the risk gate and reaches the broker and the ledger before the next strategy sees the bar. A live
 * broker has no `onBar`: its fills reach the ledger whenever they come, through the same path.
 *
 * Nothing depends on the order in which things subscribe: the strategies and the ledger's bars are fed by
 * `step`, one after the other, after everything is wired.
 */
export function buildGraph(options: GraphOptions): Graph {
  const { bars$, strategies, broker, book, contracts } = options;
  const ids = new Set<string>();
  for (const strategy of strategies) {
    if (ids.has(strategy.id)) throw new ConfigError(`duplicate strategy id "${strategy.id}"`);
    ids.add(strategy.id);
    contractFor(contracts, strategy.symbol);
    book.track(strategy.id, strategy.symbol);
  }
  /** What the order path may know of the book: queries only. */
  const view: BookView = book;
  let subscribed = false;

  // The graph is an operator from bars to events: `operate` wires everything below, then subscribes `bars$`.
  const events$ = bars$.pipe(
    operate<Bar, GraphEvent>((subscriber) => {
      if (subscribed) throw new Error('buildGraph: events$ can be subscribed once (the book and broker hold its state); build a new graph');
      subscribed = true;
      /** Bars to mark, fed by `step` (2). */
      const marks = createFanout<Bar>();
      /** Bars to decide on, fed by `step` (3). */
      const decisions = createFanout<Bar>();

      // `decisions.end$` keeps the order path (and so the broker's events) alive until the bars end, even when
      // every strategy completes early: fills of orders still working are never dropped.
      const signals$ = merge(
        decisions.end$,
        ...strategies.map((strategy) =>
          decisions.observable.pipe(
            strategy.decide,
            map((target) => signalOf(strategy, target)),
            tap((signal) => subscriber.next({ kind: 'signal', signal })),
          ),
        ),
      );
      const sized$ = options.sizer === undefined ? signals$ : signals$.pipe(sizeSignals(options.sizer));
      const execution$ = sized$.pipe(
        ordersFromSignals(view, contracts, options.orderIdPrefix),
        riskGate(options.limits ?? {}, { book: view, contracts, killSwitch$: options.killSwitch$ }),
        route(broker, { drain: options.drain ?? false }),
      );
      // The ledger, subscribed with the outer subscriber itself (rxjs adds the teardown to it): no extra hop.
      merge(marks.observable, execution$).pipe(markToMarket(book)).subscribe(subscriber);

      const settle = broker.onBar?.bind(broker);
      return {
        // A throw (a broker that cannot settle) errors events$ and tears everything down.
        next: function step(bar) {
          // 1. settle: the broker fills what is pending at this bar's open; route hands the fills to the ledger.
          if (settle !== undefined) settle(bar);
          // 2. mark: the ledger marks the bar's close.
          marks.next(bar);
          // A consumer that left on the mark (`take(n)` on events$) stops the bar here.
          if (subscriber.closed) return;
          // 3. decide: the strategies see the bar, one by one; each one's orders reach the broker and the ledger
          //    before the next sees it.
          decisions.next(bar);
        },
        // The end of the bars ends the strategies; events$ completes once the order path has (see route's drain).
        complete() {
          marks.complete();
          decisions.complete();
        },
      };
    }),
  );

  return {
    events$,
    cancelWorking: () => {
      for (const { order } of book.workingOrders()) broker.cancel(order.id);
    },
  };
}

interface Fanout<T> {
  readonly observable: Observable<T>;
  /** Completes with the fan-out, without receiving its values (no cost per value). */
  readonly end$: Observable<never>;
  next(value: T): void;
  complete(): void;
}

/**
 * A minimal multicast for the hot path: one loop over the subscribers per value (rxjs's Subject allocates a
 * closure and an iterator per `next` in its CommonJS build). Subscribers added or removed while a value is
 * delivered take effect from the next value (copy on write). It never errors: an error of the bars errors
 * events$ itself, which unsubscribes everything fed from here.
 */
function createFanout<T>(): Fanout<T> {
  let subscribers: ReadonlyArray<Subscriber<T>> = [];
  let endSubscribers: ReadonlyArray<Subscriber<never>> = [];
  let stopped = false;
  const attach = <V>(get: () => ReadonlyArray<Subscriber<V>>, set: (list: ReadonlyArray<Subscriber<V>>) => void): Observable<V> =>
    new Observable<V>((subscriber) => {
      if (stopped) {
        subscriber.complete();
        return;
      }
      set([...get(), subscriber]);
      return () => set(get().filter((s) => s !== subscriber));
    });
  const observable = attach(
    () => subscribers,
    (list) => (subscribers = list),
  );
  const end$ = attach(
    () => endSubscribers,
    (list) => (endSubscribers = list),
  );
  return {
    observable,
    end$,
    next(value) {
      if (stopped) return;
      const list = subscribers;
      for (let i = 0; i < list.length; i++) list[i].next(value);
    },
    complete() {
      if (stopped) return;
      stopped = true;
      const list = [...subscribers, ...endSubscribers];
      subscribers = [];
      endSubscribers = [];
      for (const s of list) s.complete();
    },
  };
}
