import { endWith, map, merge, Observable, takeUntil } from 'rxjs';
import { operate } from '../../operators/operate';
import { markToMarket } from '../../operators/markToMarket';
import { riskGate } from '../../operators/riskGate';
import { route } from '../../operators/route';
import type { Broker } from '../broker/types';
import { contractFor } from '../core/contracts';
import { ConfigError } from '../core/errors';
import { isProtective, isTarget } from '../core/orders';
import { createFanout, type Fanout } from '../core/fanout';
import type { TradingHalts } from '../core/halts';
import type { Bar, ContractBook, Decision, ExecutionEvent, Fill, OrderEvent, Signal, StampedIntent, StrategyOutput } from '../core/types';
import type { Book, BookView } from '../portfolio/book';
import { orderPathReads, ordersFromDecisions, type HaltsChange, type ProtectionAlert } from '../portfolio/orders';
import type { PortfolioUpdate } from '../portfolio/types';
import type { RiskLimits } from '../risk/limits';
import type { Sizer } from '../risk/sizers';
import { stamp, type Strategy } from '../strategy/types';

export interface GraphOptions {
  /** Closed bars, any symbols, in event-time order; cold or hot, synchronous (replay) or not (live). */
  readonly bars$: Observable<Bar>;
  /**
   * Each trades its own symbol under its own id (unique in the graph) and sees the bars of its symbol and of
   * the symbols it `reads`, in stream order; bars of other symbols are marked but reach no strategy.
   */
  readonly strategies: ReadonlyArray<Strategy>;
  readonly broker: Broker;
  readonly book: Book;
  readonly contracts: ContractBook;
  /** Opt-in limits; none → nothing is refused. */
  readonly limits?: RiskLimits;
  /**
   * What the operator has halted (kill switches, flattened strategies): each value is acted on in the order
   * path at the time of the latest bar's end (see `TradingHalts`, `ordersFromDecisions`). None: nothing halted.
   */
  readonly halts$?: Observable<TradingHalts>;
  /** Re-sizes signal targets (sign kept) before orders are derived; none → targets as the strategies say. */
  readonly sizer?: Sizer;
  /** See `RouteOptions.drain`: false for replay (default), true for a live shutdown that waits for the broker. */
  readonly drain?: boolean;
  /** Live warm-up: history the strategies see without trading on it (see `DecisionHold`). None → every bar trades. */
  readonly hold?: DecisionHold;
}

/**
 * What a live start holds back. A history bar is seen by the strategies only: it is not settled, not marked
 * (the book, the analyzers and the report never see it), and what the strategies decide on it is neither
 * reported nor traded — so indicators and flags ("entered today") come out of warm-up as an uninterrupted run
 * would have them, with no order. A benched strategy (its warm-up failed) still sees every bar; none of its
 * decisions is traded.
 *
 * The graph tells which decisions a bar caused by the order of `step`: the strategies decide on a bar
 * synchronously, inside its symbol's route's `next(bar)` (as the rest of the graph already relies on).
 */
export interface DecisionHold {
  isHistory(bar: Bar): boolean;
  isBenched(strategyId: string): boolean;
  /** Each decision held back, with why. */
  onHeld?(decision: Decision, why: 'history' | 'benched'): void;
}

/** A strategy changed its target. */
export interface SignalEvent {
  readonly kind: 'signal';
  readonly signal: Signal;
}

/** A strategy placed, cancelled or modified an order of its own. */
export interface IntentEvent {
  readonly kind: 'intent';
  readonly intent: StampedIntent;
}

/**
 * Everything a runner, report or UI needs, in the order it happened: signals and order intents, order events
 * (risk decisions and broker statuses), fills, closed trades, one mark per bar, and the order path's alerts (a
 * position found without the protection its bracket promises).
 */
export type GraphEvent = SignalEvent | IntentEvent | PortfolioUpdate | ProtectionAlert;

export interface Graph {
  /**
   * The run. Subscribing wires the graph and then connects `bars$`; it can be subscribed ONCE (the book and
   * broker are stateful). Completes when `bars$` completes (orders still working stay working: see
   * `book.workingOrders()`), errors when the source, a strategy, the broker or the book does.
   */
  readonly events$: Observable<GraphEvent>;
  /**
   * Cancels every order the book has working but the protective ones (live shutdown; the cancellations arrive
   * on `events$`): protective orders stay at the broker to protect the position while the engine is down.
   */
  cancelWorking(): void;
}

/**
 * The one composition replay and live share. Per bar, in this order (`step` below):
 *
 * ```
 * bars$ ─► step(bar) ─► 1. settle  broker.onBar(bar): orders pending fill at the bar's open (replay broker) ─┐
 *                          then    each fill goes back to the order manager and to its own strategy        │
 *                       2. mark    the ledger marks the bar's close                                        │
 *                       3. decide  the strategies see the bar                                              │
 *                                     │                                                                    │
 *            strategy A ─┐            ▼                                                                    │
 *            strategy B ─┴─► targets, intents ─► ordersFromDecisions(view) ─► riskGate(view) ─► route(broker) ─┤
 *                                        ▲                                                                 ▼
 *                         own fills ─────┴──── ledger = markToMarket(book): the book's one writer ◄── fills, order events, bars
 *                                     └─► events$ (marks, order events, fills, trades; signals and intents as decided)
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
 * Fills go back into the graph once booked: to the order manager (a bracket's children are re-priced from the
 * fill, a protective exit ends the strategy's target) and, for a strategy whose `input` is `barsAndFills`, to
 * that strategy — each fill of its own orders, after the book has applied it and before the next bar. Order
 * events go back to the order manager the same way (cancels and modifications confirmed, its protection
 * watchdog). What a settle books goes back once the settle is done (after the broker's Filled), a live event as
 * soon as it is booked; one booked while earlier ones are being delivered waits its turn.
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
  const homes = new Map(strategies.map((s) => [s.id, s.symbol] as const));
  const brackets = new Map(strategies.flatMap((s) => (s.bracket === undefined ? [] : [[s.id, s.bracket] as const])));
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
      /** Bars to decide on, fed by `step` (3): one fan-out per symbol, to the strategies reading it. */
      const routes = new Map<string, Fanout<Bar>>();
      const routeOf = (symbol: string): Fanout<Bar> => {
        let route = routes.get(symbol);
        if (route === undefined) {
          route = createFanout<Bar>();
          routes.set(symbol, route);
        }
        return route;
      };
      /** Ends with the bars (its `end$` keeps the order path alive until then). */
      const decisionsEnd = createFanout<never>();
      const barsOf = (strategy: Strategy): Observable<Bar> =>
        strategy.reads === undefined ? routeOf(strategy.symbol).observable : merge(...[strategy.symbol, ...strategy.reads].map((s) => routeOf(s).observable));
      /** Booked fills and order events, back to the order manager. */
      const feedback = createFanout<Fill | OrderEvent>();
      /** Booked fills, back to the strategy that asked for its own. */
      const ownFills = new Map<string, Fanout<Fill>>();

      const toEvent = (decision: Decision): void =>
        subscriber.next(isTarget(decision) ? { kind: 'signal', signal: decision } : { kind: 'intent', intent: decision });
      /** True while the strategies decide on a history bar (see `DecisionHold`). */
      let onHistory = false;
      const hold = options.hold;
      const admit =
        hold === undefined
          ? undefined
          : (decision: Decision): boolean => {
              const why = onHistory ? 'history' : hold.isBenched(decision.strategyId) ? 'benched' : undefined;
              if (why === undefined) return true;
              hold.onHeld?.(decision, why);
              return false;
            };
      const decided = strategies.map((strategy): Observable<Decision> => {
        if (strategy.input === 'bars') return barsOf(strategy).pipe(strategy.decide, stamping(strategy, toEvent, admit));
        const fills = createFanout<Fill>();
        ownFills.set(strategy.id, fills);
        return merge(barsOf(strategy), fills.observable).pipe(strategy.decide, stamping(strategy, toEvent, admit));
      });

      // Orders a halts change leads to are decided at the end of the latest bar (before the first: the change's
      // own time): event time, so a replay driven by a control stays deterministic and ids never go back.
      // The halts end with the bars; their error errors the run (trading must not go on unguarded).
      let eventTs = Number.NEGATIVE_INFINITY;
      const halts$: Observable<HaltsChange> =
        options.halts$ === undefined
          ? decisionsEnd.end$
          : options.halts$.pipe(
              takeUntil(decisionsEnd.end$.pipe(endWith(true))),
              map((halts) => ({ kind: 'halts', halts, ts: Number.isFinite(eventTs) ? eventTs : (halts.ts ?? 0) })),
            );

      // `decisionsEnd.end$` keeps the order path (and so the broker's events) alive until the bars end, even when
      // every strategy completes early: fills of orders still working are never dropped.
      const execution$ = merge(decisionsEnd.end$, feedback.observable, halts$, ...decided).pipe(
        ordersFromDecisions(view, contracts, {
          sizer: options.sizer,
          bracketOf: (id) => brackets.get(id),
          homeSymbolOf: (id) => homes.get(id),
          onAlert: (alert) => subscriber.next(alert),
        }),
        riskGate(options.limits ?? {}, { book: view, contracts }),
        route(broker, { drain: options.drain ?? false }),
        feedBack((event) => booked.push(event), () => drain()),
      );

      /** Fills and order events booked and not yet given back; `settling` holds them until the broker's settle is over. */
      const booked: Array<Fill | OrderEvent> = [];
      let settling = false;
      let draining = false;
      const drain = (): void => {
        if (settling || draining) return;
        draining = true;
        try {
          for (let event = booked.shift(); event !== undefined && !subscriber.closed; event = booked.shift()) {
            feedback.next(event);
            if (event.kind === 'fill') ownFills.get(event.strategyId)?.next(event);
          }
        } finally {
          draining = false;
        }
      };

      // The ledger, subscribed with the outer subscriber itself (rxjs adds the teardown to it): no extra hop.
      merge(marks.observable, execution$)
        .pipe(markToMarket(book, (fill) => booked.push(fill)))
        .subscribe(subscriber);

      const settle = broker.onBar?.bind(broker);
      // Bars come in runs of one symbol: the last one's route, without a Map lookup per bar.
      const lastRoute: { symbol: string; route: Fanout<Bar> | undefined } = { symbol: '', route: undefined };
      return {
        // A throw (a broker that cannot settle) errors events$ and tears everything down.
        next: function step(bar) {
          // 0. history (live warm-up): the strategies see it, nothing else does; their decisions are held.
          if (hold !== undefined && hold.isHistory(bar)) {
            onHistory = true;
            try {
              routes.get(bar.symbol)?.next(bar);
            } finally {
              onHistory = false;
            }
            return;
          }
          // 1. settle: the broker fills what is pending at this bar's open; route hands the fills to the ledger,
          //    then they go back to the order manager and their strategies.
          if (settle !== undefined) {
            settling = true;
            try {
              settle(bar);
            } finally {
              settling = false;
            }
            if (booked.length > 0) drain();
          }
          // 2. mark: the ledger marks the bar's close.
          eventTs = Math.max(eventTs, bar.ts + bar.intervalMs);
          marks.next(bar);
          // A consumer that left on the mark (`take(n)` on events$) stops the bar here.
          if (subscriber.closed) return;
          // 3. decide: the strategies see the bar, one by one; each one's orders reach the broker and the ledger
          //    before the next sees it.
          let route = lastRoute.route;
          if (bar.symbol !== lastRoute.symbol) {
            route = routes.get(bar.symbol);
            lastRoute.symbol = bar.symbol;
            lastRoute.route = route;
          }
          route?.next(bar);
        },
        // The end of the bars ends the strategies; events$ completes once the order path has (see route's drain).
        complete() {
          marks.complete();
          for (const route of routes.values()) route.complete();
          decisionsEnd.complete();
          feedback.complete();
          for (const fills of ownFills.values()) fills.complete();
        },
      };
    }),
  );

  return {
    events$,
    cancelWorking: () => {
      for (const { order } of book.workingOrders()) if (!isProtective(order)) broker.cancel(order.id);
    },
  };
}

/** Stamps each output of `strategy` with its id and symbol, reporting it as it goes by (unless `admit` holds it back). */
function stamping(strategy: Strategy, report: (decision: Decision) => void, admit: ((decision: Decision) => boolean) | undefined) {
  return operate<StrategyOutput, Decision>((destination) => ({
    next(output) {
      const decision = stamp(strategy, output);
      if (admit !== undefined && !admit(decision)) return;
      report(decision);
      destination.next(decision);
    },
  }));
}

/**
 * After each execution event has gone through the ledger (a fill with its trade, booked by the ledger itself),
 * an order event the order manager acts on (`orderPathReads`) is kept with the booked fills (`keep`), and
 * `giveBack` hands them back.
 */
function feedBack(keep: (event: OrderEvent) => void, giveBack: () => void) {
  return operate<ExecutionEvent, ExecutionEvent>((destination) => ({
    next(event) {
      destination.next(event);
      if (event.kind === 'order') {
        if (!orderPathReads(event)) return;
        keep(event);
      }
      giveBack();
    },
  }));
}
