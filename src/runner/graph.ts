import { merge, Observable, tap, type Observer, type Subscriber } from 'rxjs';
import { markToMarket } from '../../operators/markToMarket';
import { riskGate } from '../../operators/riskGate';
import { route } from '../../operators/route';
import type { Broker } from '../broker/types';
import { contractFor } from '../core/contracts';
import { ConfigError } from '../core/errors';
import type { Bar, ContractBook, Signal } from '../core/types';
import type { Book } from '../portfolio/book';
import { ordersFromSignals } from '../portfolio/orders';
import type { PortfolioUpdate } from '../portfolio/types';
import type { RiskLimits } from '../risk/limits';
import { sizeSignals } from '../risk/sizeSignals';
import type { Sizer } from '../risk/sizers';
import type { Strategy } from '../strategy/types';

export interface GraphStrategy {
  /** Unique in the graph; the strategy's signals must carry it. */
  readonly id: string;
  /** The symbol it trades; its signals must carry it. It still sees every bar of the stream. */
  readonly symbol: string;
  readonly strategy: Strategy;
}

export interface GraphOptions {
  /** Closed bars, any symbols, in event-time order; cold or hot, synchronous (replay) or not (live). */
  readonly bars$: Observable<Bar>;
  readonly strategies: ReadonlyArray<GraphStrategy>;
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
 * The one composition replay and live share (ARCHITECTURE.md):
 *
 * ```
 * bars$ ─► broker.onBar ─► fan-out ─┬─► markToMarket(book)  ◄──────────────────────────────────┐
 *                                   ├─► strategy A ─┐                                           │
 *                                   └─► strategy B ─┴─► signals ─► ordersFromSignals(book)      │
 *                                        ─► riskGate(limits) ─► route(broker) ─► order events, fills
 * ```
 *
 * Per bar, synchronously: (1) the broker fills what is pending at the bar's open and the fills reach the
 * book; (2) the book marks the bar's close (a `mark` event); (3) each strategy sees the bar, in the order
 * given, with positions that include (1); its signals become orders, risk decisions and broker events
 * before the next strategy sees the bar. The fan-out is subscribed by everything before `bars$` is
 * connected (a `share()` on a synchronous source would feed the first subscriber every bar before the
 * second subscribes), and costs one loop per bar.
 */
export function buildGraph(options: GraphOptions): Graph {
  const { bars$, strategies, broker, book, contracts } = options;
  const ids = new Set<string>();
  for (const spec of strategies) {
    if (ids.has(spec.id)) throw new ConfigError(`duplicate strategy id "${spec.id}"`);
    ids.add(spec.id);
    contractFor(contracts, spec.symbol);
    book.track(spec.id, spec.symbol);
  }
  let subscribed = false;

  const events$ = new Observable<GraphEvent>((subscriber) => {
    if (subscribed) {
      subscriber.error(new Error('buildGraph: events$ can be subscribed once (the book and broker hold its state); build a new graph'));
      return;
    }
    subscribed = true;
    const bars = createFanout<Bar>();
    // `bars.end$` keeps the order path (and so the broker's events) alive until the bars end, even when
    // every strategy completes early: fills of orders still working are never dropped.
    const signals$ = merge(
      bars.end$,
      ...strategies.map((spec) =>
        bars.observable.pipe(
          spec.strategy,
          tap((signal: Signal) => {
            if (signal.strategyId !== spec.id || signal.symbol !== spec.symbol) {
              throw new ConfigError(
                `strategy "${spec.id}" (${spec.symbol}) emitted a signal for strategy "${signal.strategyId}" (${signal.symbol})`,
              );
            }
            subscriber.next({ kind: 'signal', signal });
          }),
        ),
      ),
    );
    const sized$ = options.sizer === undefined ? signals$ : signals$.pipe(sizeSignals(options.sizer));
    const execution$ = sized$.pipe(
      ordersFromSignals(book, contracts, options.orderIdPrefix),
      riskGate(options.limits ?? {}, { book, contracts, killSwitch$: options.killSwitch$ }),
      route(broker, { drain: options.drain ?? false }),
    );
    // The marks subscribe to the fan-out before the strategies: a bar is marked before any decision on it,
    // so limits and sizers judge orders at that bar's close.
    // Subscribed with the outer subscriber itself (rxjs adds the teardown to it): no extra hop per event.
    merge(bars.observable, execution$).pipe(markToMarket(book)).subscribe(subscriber);
    if (subscriber.closed) return;
    // Connect: everything is attached.
    const onBar = broker.onBar?.bind(broker);
    subscriber.add(
      bars$.subscribe({
        next(bar) {
          // A synchronous source is only unsubscribed once it returns; until then a consumer that has gone
          // (e.g. `take(n)` on events$) costs one check per bar, not a fill.
          if (subscriber.closed) return;
          if (onBar !== undefined) {
            try {
              onBar(bar);
            } catch (error) {
              bars.error(error);
              return;
            }
          }
          bars.next(bar);
        },
        error: (error) => bars.error(error),
        complete: () => bars.complete(),
      }),
    );
  });

  return {
    events$,
    cancelWorking: () => {
      for (const { order } of book.workingOrders()) broker.cancel(order.id);
    },
  };
}

interface Fanout<T> extends Observer<T> {
  readonly observable: Observable<T>;
  /** Completes or errors with the fan-out, without receiving its values (no cost per value). */
  readonly end$: Observable<never>;
}

/**
 * A minimal multicast Subject for the hot path: one loop over the subscribers per value (rxjs's Subject
 * allocates a closure and an iterator per `next` in its CommonJS build). Subscribers added or removed while
 * a value is delivered take effect from the next value (copy on write).
 */
function createFanout<T>(): Fanout<T> {
  let subscribers: ReadonlyArray<Subscriber<T>> = [];
  let endSubscribers: ReadonlyArray<Subscriber<never>> = [];
  let stopped = false;
  let failure: { readonly error: unknown } | undefined;
  const settle = (subscriber: Subscriber<T> | Subscriber<never>): boolean => {
    if (!stopped) return false;
    if (failure !== undefined) subscriber.error(failure.error);
    else subscriber.complete();
    return true;
  };
  const observable = new Observable<T>((subscriber) => {
    if (settle(subscriber)) return;
    subscribers = [...subscribers, subscriber];
    return () => {
      subscribers = subscribers.filter((s) => s !== subscriber);
    };
  });
  const end$ = new Observable<never>((subscriber) => {
    if (settle(subscriber)) return;
    endSubscribers = [...endSubscribers, subscriber];
    return () => {
      endSubscribers = endSubscribers.filter((s) => s !== subscriber);
    };
  });
  const finish = (): void => {
    const list = [...subscribers, ...endSubscribers];
    subscribers = [];
    endSubscribers = [];
    for (const s of list) settle(s);
  };
  return {
    observable,
    end$,
    next(value) {
      if (stopped) return;
      const list = subscribers;
      for (let i = 0; i < list.length; i++) list[i].next(value);
    },
    error(error) {
      if (stopped) return;
      stopped = true;
      failure = { error };
      finish();
    },
    complete() {
      if (stopped) return;
      stopped = true;
      finish();
    },
  };
}
