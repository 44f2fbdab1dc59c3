import { describe, expect, it } from '@jest/globals';
import { concat, filter, from, map, Observable, Subject, take, throwError, type OperatorFunction } from 'rxjs';
import { createSimBroker } from '../broker/simBroker';
import { loadContracts } from '../core/contracts';
import type { Bar, Signal, TargetPosition } from '../core/types';
import { createBook } from '../portfolio/book';
import { defineStrategy, type Strategy } from '../strategy/types';
import { barSeries, makeBar, marbles } from '../testkit/marbles';
import { buildGraph, type GraphEvent, type GraphOptions } from './graph';

const contracts = loadContracts();
const T0 = Date.parse('2024-03-05T00:00:00Z');
const MIN = 60_000;

/** Bars 0..n-1 of USDJPY with distinct opens and closes (open i = 150 + i/10, close i = open + 0.05). */
function bars(n: number, symbol = 'USDJPY'): Bar[] {
  return Array.from({ length: n }, (_, i) => {
    const open = 150 + i / 10;
    return makeBar({ symbol, ts: T0 + i * MIN, open, close: open + 0.05 });
  });
}

/** A test strategy: on the close of the i-th bar of `symbol` it targets `targets[i]` contracts. */
function scripted(id: string, targets: Readonly<Record<number, number>>, symbol = 'USDJPY'): Strategy {
  return defineStrategy({ id, symbol, decide: scriptedTargets(targets, symbol) });
}

function scriptedTargets(targets: Readonly<Record<number, number>>, symbol = 'USDJPY'): OperatorFunction<Bar, TargetPosition> {
  return (bars$) =>
    bars$.pipe(
      filter((bar) => bar.symbol === symbol),
      map((bar, i): TargetPosition | undefined => (targets[i] === undefined ? undefined : { ts: bar.ts + bar.intervalMs, target: targets[i] })),
      filter((t): t is TargetPosition => t !== undefined),
    );
}

function setup(overrides: Partial<GraphOptions> & Pick<GraphOptions, 'bars$' | 'strategies'>) {
  const book = createBook({ contracts, accountCurrency: 'JPY', initialCash: 10_000_000 });
  const broker = createSimBroker({ contracts });
  const graph = buildGraph({ broker, book, contracts, ...overrides });
  return { book, broker, graph };
}

/** One short line per event, so a sequence reads like a log. */
function describeEvent(e: GraphEvent): string {
  switch (e.kind) {
    case 'mark':
      return `mark ${(e.bar.ts - T0) / MIN}`;
    case 'signal':
      return `signal ${e.signal.strategyId} ${e.signal.target}`;
    case 'order':
      return `${e.status} ${e.order.id}${e.reason ? ` ${e.reason}` : ''}`;
    case 'fill':
      return `fill ${e.orderId} ${e.side} ${e.qty}@${e.price} bar ${(e.ts - T0) / MIN}`;
    case 'trade':
      return `trade ${e.trade.strategyId} ${Math.round(e.trade.pnl)}`;
  }
}

function run(events$: Observable<GraphEvent>): string[] {
  const out: string[] = [];
  let done = false;
  events$.subscribe({ next: (e) => out.push(describeEvent(e)), complete: () => (done = true) });
  expect(done).toBe(true);
  return out;
}

describe('buildGraph ordering (synchronous replay)', () => {
  it('fills an order decided on the close of bar t at the open of bar t+1, before the strategies see bar t+1', () => {
    const { graph, book } = setup({ bars$: from(bars(5)), strategies: [scripted('s', { 1: 1, 3: 0 })] });
    expect(run(graph.events$)).toEqual([
      'mark 0',
      'mark 1',
      'signal s 1',
      'Accepted s-1',
      'Submitted s-1',
      'fill s-1 BUY 100000@150.2 bar 2',
      'Filled s-1',
      'mark 2',
      'mark 3',
      'signal s 0',
      'Accepted s-2',
      'Submitted s-2',
      'fill s-2 SELL 100000@150.4 bar 4',
      'trade s 20000',
      'Filled s-2',
      'mark 4',
    ]);
    expect(book.trades()[0]).toMatchObject({ entryPrice: 150.2, exitPrice: 150.4, entryTs: T0 + 2 * MIN, exitTs: T0 + 4 * MIN });
  });

  it('never fills an order decided on the last bar: it stays working and the run completes', () => {
    const { graph, book } = setup({ bars$: from(bars(3)), strategies: [scripted('s', { 2: -2 })] });
    expect(run(graph.events$).slice(-3)).toEqual(['signal s -2', 'Accepted s-1', 'Submitted s-1']);
    expect(book.workingOrders()).toEqual([{ order: expect.objectContaining({ id: 's-1', side: 'SELL', qty: 200_000 }), remaining: 200_000 }]);
    expect(book.position('s', 'USDJPY')).toBe(0);
  });

  it('lets a strategy that reads the book inside its operator see the fills of the bar it is given', () => {
    const book = createBook({ contracts, accountCurrency: 'JPY', initialCash: 0 });
    const seen: number[] = [];
    const reader = defineStrategy({
      id: 'r',
      symbol: 'USDJPY',
      decide: (bars$) =>
        bars$.pipe(
          map((bar, i): TargetPosition | undefined => {
            seen.push(book.position('r', 'USDJPY'));
            return i === 0 ? { ts: bar.ts + bar.intervalMs, target: 1 } : undefined;
          }),
          filter((t): t is TargetPosition => t !== undefined),
        ),
    });
    const { graph } = setup({ bars$: from(bars(3)), strategies: [reader], book });
    run(graph.events$);
    expect(seen).toEqual([0, 100_000, 100_000]);
  });

  it('multicasts with an explicit connect: every strategy sees every bar, bar by bar, in the order given', () => {
    const log: string[] = [];
    const spy = (id: string): Strategy =>
      defineStrategy({
        id,
        symbol: 'USDJPY',
        decide: (bars$) =>
          new Observable<TargetPosition>((subscriber) =>
            bars$.subscribe({
              next: (bar) => log.push(`${id}${(bar.ts - T0) / MIN}`),
              complete: () => subscriber.complete(),
            }),
          ),
      });
    const { graph } = setup({ bars$: from(bars(3)), strategies: [spy('a'), spy('b')] });
    run(graph.events$);
    expect(log).toEqual(['a0', 'b0', 'a1', 'b1', 'a2', 'b2']);
  });

  it('keeps each strategy’s own position on a shared symbol; a target re-sent after its fill orders nothing', () => {
    const { graph, book } = setup({
      bars$: from(bars(4)),
      strategies: [
        scripted('long', { 0: 1 }),
        scripted('short', { 0: -1, 1: -1 }),
      ],
    });
    const log = run(graph.events$);
    expect(log.filter((l) => l.startsWith('fill'))).toEqual(['fill long-1 BUY 100000@150.1 bar 1', 'fill short-1 SELL 100000@150.1 bar 1']);
    expect(log.filter((l) => l.startsWith('Accepted'))).toEqual(['Accepted long-1', 'Accepted short-1']);
    expect([book.position('long', 'USDJPY'), book.position('short', 'USDJPY'), book.accountPosition('USDJPY')]).toEqual([100_000, -100_000, 0]);
  });

  it('keeps routing fills while bars flow, even after every strategy has completed', () => {
    const once = defineStrategy({ id: 's', symbol: 'USDJPY', decide: (bars$) => bars$.pipe(scriptedTargets({ 0: 1 }), take(1)) });
    const { graph, book } = setup({ bars$: from(bars(3)), strategies: [once] });
    expect(run(graph.events$)).toContain('fill s-1 BUY 100000@150.1 bar 1');
    expect(book.position('s', 'USDJPY')).toBe(100_000);
  });

  it('reverses with ONE order for twice the size, closing one trade and opening the next', () => {
    const { graph, book } = setup({ bars$: from(bars(4)), strategies: [scripted('s', { 0: 1, 1: -1 })] });
    const log = run(graph.events$);
    expect(log.filter((l) => l.startsWith('fill'))).toEqual(['fill s-1 BUY 100000@150.1 bar 1', 'fill s-2 SELL 200000@150.2 bar 2']);
    expect(book.trades()).toEqual([expect.objectContaining({ side: 'LONG', qty: 100_000, entryPrice: 150.1, exitPrice: 150.2 })]);
    expect(book.position('s', 'USDJPY')).toBe(-100_000);
  });

  it('computes the book in JPY for a round trip through the graph', () => {
    const series = barSeries({ start: T0, closes: [150, 150, 151, 151, 151] }); // opens: 150, 150, 150, 151, 151
    const { graph, book } = setup({ bars$: from(series), strategies: [scripted('s', { 0: 1, 2: 0 })] });
    run(graph.events$);
    expect(book.trades()).toEqual([
      expect.objectContaining({ entryPrice: 150, exitPrice: 151, pnl: 100_000, pnlNet: 100_000, pnlNetAccount: 100_000 }),
    ]);
    expect(book.equity()).toBe(10_100_000);
  });
});

describe('buildGraph risk and events', () => {
  it('reports refused orders as Rejected events and places nothing for them', () => {
    const { graph, book } = setup({
      bars$: from(bars(4)),
      strategies: [scripted('s', { 0: 2, 1: 1 })],
      limits: { maxOrderContracts: 1 },
    });
    const log = run(graph.events$);
    expect(log).toContain('Rejected s-1 MAX_ORDER_SIZE');
    expect(log.filter((l) => l.startsWith('fill'))).toEqual(['fill s-2 BUY 100000@150.2 bar 2']);
    expect(book.position('s', 'USDJPY')).toBe(100_000);
  });

  it('refuses every order while the kill switch is on', () => {
    const { graph } = setup({
      bars$: from(bars(3)),
      strategies: [scripted('s', { 0: 1 })],
      killSwitch$: from([true]),
    });
    expect(run(graph.events$)).toContain('Rejected s-1 KILL_SWITCH');
  });

  it('cancels working orders on request (live shutdown), reported on events$', () => {
    const source = new Subject<Bar>();
    const { graph, book } = setup({ bars$: source, strategies: [scripted('s', { 0: 1 })] });
    const log: string[] = [];
    graph.events$.subscribe((e) => log.push(describeEvent(e)));
    source.next(bars(1)[0]);
    graph.cancelWorking();
    expect(log.slice(-1)).toEqual(['Cancelled s-1']);
    expect(book.working('s', 'USDJPY')).toBe(0);
    source.complete();
  });

  it('stamps each target with the id and symbol of the strategy that decided it', () => {
    const reasoned = defineStrategy({ id: 'r', symbol: 'USDJPY', decide: map((bar: Bar) => ({ ts: bar.ts + bar.intervalMs, target: 0, reason: 'because' })) });
    const { graph } = setup({ bars$: from(bars(1)), strategies: [scripted('s', { 0: 2 }), reasoned] });
    const signals: Signal[] = [];
    graph.events$.subscribe((e) => e.kind === 'signal' && signals.push(e.signal));
    expect(signals).toStrictEqual([
      { strategyId: 's', symbol: 'USDJPY', ts: T0 + MIN, target: 2 },
      { strategyId: 'r', symbol: 'USDJPY', ts: T0 + MIN, target: 0, reason: 'because' },
    ]);
  });

  it('re-sizes targets with a sizer', () => {
    const { graph } = setup({
      bars$: from(bars(2)),
      strategies: [scripted('s', { 0: 1 })],
      sizer: (signal) => signal.target * 3,
    });
    expect(run(graph.events$)).toContain('fill s-1 BUY 300000@150.1 bar 1');
  });
});

describe('buildGraph teardown', () => {
  it('stops feeding the broker and the book when the consumer unsubscribes mid-run', () => {
    const { graph, book, broker } = setup({ bars$: from(bars(10)), strategies: [scripted('s', { 0: 1, 5: -1 })] });
    const brokerFills: unknown[] = [];
    broker.events$.pipe(filter((e) => e.kind === 'fill')).subscribe((f) => brokerFills.push(f));
    const seen: string[] = [];
    graph.events$.pipe(take(3)).subscribe((e) => seen.push(describeEvent(e)));
    expect(seen).toEqual(['mark 0', 'signal s 1', 'Accepted s-1']);
    // Bar 1 never reached the broker (no fill) nor the book (no mark).
    expect(brokerFills).toEqual([]);
    expect(book.position('s', 'USDJPY')).toBe(0);
    expect(book.lastPrice('USDJPY')).toBe(bars(1)[0].close);
  });
});

describe('buildGraph on an asynchronous source', () => {
  it('runs on virtual time: fills at the next bar of the source, whenever it comes', () => {
    const series = bars(3);
    marbles(({ cold, expectObservable }) => {
      const source = cold('a----b----c|', { a: series[0], b: series[1], c: series[2] });
      const { graph } = setup({ bars$: source, strategies: [scripted('s', { 0: 1 })] });
      const marksAndFills = graph.events$.pipe(
        filter((e) => e.kind === 'mark' || e.kind === 'fill'),
        map(describeEvent),
      );
      expectObservable(marksAndFills).toBe('m----(fn)-o|', {
        m: 'mark 0',
        f: 'fill s-1 BUY 100000@150.1 bar 1',
        n: 'mark 1',
        o: 'mark 2',
      });
    });
  });
});

describe('buildGraph errors', () => {
  it('passes a source error to events$ after what came before it', () => {
    const { graph } = setup({
      bars$: concat(from(bars(2)), throwError(() => new Error('row 3: bad bar'))),
      strategies: [scripted('s', {})],
    });
    const log: string[] = [];
    let failure: unknown;
    graph.events$.subscribe({ next: (e) => log.push(describeEvent(e)), error: (e: unknown) => (failure = e) });
    expect(log).toEqual(['mark 0', 'mark 1']);
    expect(failure).toEqual(new Error('row 3: bad bar'));
  });

  it('passes a strategy error to events$', () => {
    const broken = defineStrategy({
      id: 's',
      symbol: 'USDJPY',
      decide: map((): TargetPosition => {
        throw new Error('indicator blew up');
      }),
    });
    const { graph } = setup({ bars$: from(bars(2)), strategies: [broken] });
    let failure: unknown;
    graph.events$.subscribe({ error: (e: unknown) => (failure = e) });
    expect(failure).toEqual(new Error('indicator blew up'));
  });

  it('refuses bad wiring up front and a second subscription', () => {
    const strategy = scripted('s', {});
    expect(() => setup({ bars$: from([]), strategies: [strategy, scripted('s', {})] })).toThrow(/duplicate strategy id "s"/);
    expect(() => setup({ bars$: from([]), strategies: [scripted('s', {}, 'XAUUSD')] })).toThrow(/unknown symbol "XAUUSD"/);
    const { graph } = setup({ bars$: from(bars(1)), strategies: [strategy] });
    run(graph.events$);
    let failure: unknown;
    graph.events$.subscribe({ error: (e: unknown) => (failure = e) });
    expect(String(failure)).toMatch(/subscribed once/);
  });
});
