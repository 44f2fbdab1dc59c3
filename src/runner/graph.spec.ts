import { describe, expect, it } from '@jest/globals';
import { BehaviorSubject, concat, filter, from, map, Observable, Subject, take, throwError, type OperatorFunction } from 'rxjs';
import { createSimBroker } from '../broker/simBroker';
import type { Broker } from '../broker/types';
import { loadContracts } from '../core/contracts';
import { NO_HALTS, type TradingHalts } from '../core/halts';
import type { Bar, Signal, TargetPosition } from '../core/types';
import { createBook } from '../portfolio/book';
import { gotobi } from '../strategy/gotobi';
import { makeStrategy, type Strategy } from '../strategy/types';
import { barSeries, makeBar, makeFill, marbles } from '../testkit/marbles';
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
  return makeStrategy({ id, symbol, decide: scriptedTargets(targets, symbol) });
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

/**
 * An order id as `<strategy>@<minute of its decision>`, `#n` for the n-th order of a decision (n > 1) and the
 * child's suffix: `s.USDJPY.20240305T000200Z.1.sl` → `s@2.sl`.
 */
function short(orderId: string): string {
  const m = /^(.+)\.USDJPY\.(\d{8}T\d{6}Z)\.(\d+)(.*)$/.exec(orderId);
  if (!m) return orderId;
  const iso = `${m[2].slice(0, 4)}-${m[2].slice(4, 6)}-${m[2].slice(6, 8)}T${m[2].slice(9, 11)}:${m[2].slice(11, 13)}:${m[2].slice(13, 15)}Z`;
  return `${m[1]}@${(Date.parse(iso) - T0) / MIN}${m[3] === '1' ? '' : `#${m[3]}`}${m[4]}`;
}

/** One short line per event, so a sequence reads like a log. */
function describeEvent(e: GraphEvent): string {
  switch (e.kind) {
    case 'mark':
      return `mark ${(e.bar.ts - T0) / MIN}`;
    case 'signal':
      return `signal ${e.signal.strategyId} ${e.signal.target}`;
    case 'intent':
      return `intent ${e.intent.strategyId} ${e.intent.kind} ${e.intent.clientId}`;
    case 'order': {
      const price = e.order.stopPrice ?? e.order.limitPrice;
      return `${e.status} ${short(e.order.id)}${price !== undefined ? ` ${e.order.type} ${price}` : ''}${e.reason ? ` ${e.reason}` : ''}${e.cancelReason ? ` ${e.cancelReason}` : ''}`;
    }
    case 'fill':
      return `fill ${short(e.orderId)} ${e.side} ${e.qty}@${e.price} bar ${(e.ts - T0) / MIN} ${e.reason}`;
    case 'trade':
      return `trade ${e.trade.strategyId} ${Math.round(e.trade.pnl)} ${e.trade.exitReason}`;
    case 'error':
      return `error ${e.message}`;
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
      'Accepted s@2',
      'Submitted s@2',
      'fill s@2 BUY 100000@150.2 bar 2 entry',
      'Filled s@2',
      'mark 2',
      'mark 3',
      'signal s 0',
      'Accepted s@4',
      'Submitted s@4',
      'fill s@4 SELL 100000@150.4 bar 4 exit',
      'trade s 20000 exit',
      'Filled s@4',
      'mark 4',
    ]);
    expect(book.trades()[0]).toMatchObject({ entryPrice: 150.2, exitPrice: 150.4, entryTs: T0 + 2 * MIN, exitTs: T0 + 4 * MIN });
  });

  it('never fills an order decided on the last bar: it stays working and the run completes', () => {
    const { graph, book } = setup({ bars$: from(bars(3)), strategies: [scripted('s', { 2: -2 })] });
    expect(run(graph.events$).slice(-3)).toEqual(['signal s -2', 'Accepted s@3', 'Submitted s@3']);
    expect(book.workingOrders()).toEqual([{ order: expect.objectContaining({ id: 's.USDJPY.20240305T000300Z.1', side: 'SELL', qty: 200_000 }), remaining: 200_000 }]);
    expect(book.position('s', 'USDJPY')).toBe(0);
  });

  it('lets a strategy that reads the book inside its operator see the fills of the bar it is given', () => {
    const book = createBook({ contracts, accountCurrency: 'JPY', initialCash: 0 });
    const seen: number[] = [];
    const reader = makeStrategy({
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
      makeStrategy({
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

  it('gives each strategy the bars of its symbol and of those it reads, in stream order, and no others', () => {
    const log: string[] = [];
    const spy = (id: string, symbol: string, reads?: readonly string[]): Strategy =>
      makeStrategy({
        id,
        symbol,
        ...(reads !== undefined ? { reads } : {}),
        decide: (bars$) =>
          new Observable<TargetPosition>((subscriber) =>
            bars$.subscribe({ next: (bar) => log.push(`${id}:${bar.symbol}${(bar.ts - T0) / MIN}`), complete: () => subscriber.complete() }),
          ),
      });
    const stream = [0, 1].flatMap((i) => [bars(2, 'EURJPY')[i], bars(2, 'EURUSD')[i], bars(2)[i]]);
    const { graph, book } = setup({ bars$: from(stream), strategies: [spy('u', 'USDJPY'), spy('spread', 'EURJPY', ['USDJPY']), spy('e', 'EURUSD')] });
    run(graph.events$);
    expect(log).toEqual(['spread:EURJPY0', 'e:EURUSD0', 'u:USDJPY0', 'spread:USDJPY0', 'spread:EURJPY1', 'e:EURUSD1', 'u:USDJPY1', 'spread:USDJPY1']);
    // Every bar is still marked, read by a strategy or not.
    expect(book.lastPrice('EURUSD')).toBe(150.15);
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
    expect(log.filter((l) => l.startsWith('fill'))).toEqual(['fill long@1 BUY 100000@150.1 bar 1 entry', 'fill short@1 SELL 100000@150.1 bar 1 entry']);
    expect(log.filter((l) => l.startsWith('Accepted'))).toEqual(['Accepted long@1', 'Accepted short@1']);
    expect([book.position('long', 'USDJPY'), book.position('short', 'USDJPY'), book.accountPosition('USDJPY')]).toEqual([100_000, -100_000, 0]);
  });

  it('keeps routing fills while bars flow, even after every strategy has completed', () => {
    const once = makeStrategy({ id: 's', symbol: 'USDJPY', decide: (bars$) => bars$.pipe(scriptedTargets({ 0: 1 }), take(1)) });
    const { graph, book } = setup({ bars$: from(bars(3)), strategies: [once] });
    expect(run(graph.events$)).toContain('fill s@1 BUY 100000@150.1 bar 1 entry');
    expect(book.position('s', 'USDJPY')).toBe(100_000);
  });

  it('reverses with ONE order for twice the size, closing one trade and opening the next', () => {
    const { graph, book } = setup({ bars$: from(bars(4)), strategies: [scripted('s', { 0: 1, 1: -1 })] });
    const log = run(graph.events$);
    expect(log.filter((l) => l.startsWith('fill'))).toEqual(['fill s@1 BUY 100000@150.1 bar 1 entry', 'fill s@2 SELL 200000@150.2 bar 2 reverse']);
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
    expect(log).toContain('Rejected s@1 MAX_ORDER_SIZE');
    expect(log.filter((l) => l.startsWith('fill'))).toEqual(['fill s@2 BUY 100000@150.2 bar 2 entry']);
    expect(book.position('s', 'USDJPY')).toBe(100_000);
  });

  it('refuses entries while the kill switch is on', () => {
    const { graph } = setup({
      bars$: from(bars(3)),
      strategies: [scripted('s', { 0: 1 })],
      halts$: from([{ killAll: true, strategies: {} }]),
    });
    expect(run(graph.events$)).toContain('Rejected s@1 KILL_SWITCH');
  });

  it('cancels working orders on request (live shutdown), reported on events$', () => {
    const source = new Subject<Bar>();
    const { graph, book } = setup({ bars$: source, strategies: [scripted('s', { 0: 1 })] });
    const log: string[] = [];
    graph.events$.subscribe((e) => log.push(describeEvent(e)));
    source.next(bars(1)[0]);
    graph.cancelWorking();
    expect(log.slice(-1)).toEqual(['Cancelled s@1 REQUESTED']);
    expect(book.working('s', 'USDJPY')).toBe(0);
    source.complete();
  });

  it('stamps each target with the id and symbol of the strategy that decided it', () => {
    const reasoned = makeStrategy({ id: 'r', symbol: 'USDJPY', decide: map((bar: Bar) => ({ ts: bar.ts + bar.intervalMs, target: 0, reason: 'because' })) });
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
    expect(run(graph.events$)).toContain('fill s@1 BUY 300000@150.1 bar 1 entry');
  });
});

describe('buildGraph brackets and own fills', () => {
  /** USDJPY bars from OHLC rows. */
  const ohlc = (rows: readonly (readonly [number, number, number, number])[]): Bar[] =>
    rows.map(([open, high, low, close], i) => makeBar({ ts: T0 + i * MIN, open, high, low, close }));
  const quiet = [150.01, 150.015, 150.005, 150.01] as const;

  it('sends the entry with its bracket, re-prices it from the fill before the next bar, and exits on the stop', () => {
    const strategy: Strategy = { ...scripted('s', { 0: 1 }), bracket: { stopLossTicks: 20, takeProfitTicks: 30 } };
    const series = ohlc([[150, 150, 150, 150], [150.01, 150.05, 149.95, 150.01], [150.01, 150.02, 149.99, 150.0], quiet]);
    const { graph, book } = setup({ bars$: from(series), strategies: [strategy] });
    expect(run(graph.events$)).toEqual([
      'mark 0',
      'signal s 1',
      'Accepted s@1',
      'Accepted s@1.sl STOP 149.98',
      'Accepted s@1.tp LIMIT 150.03',
      'Submitted s@1',
      'Submitted s@1.sl STOP 149.98',
      'Submitted s@1.tp LIMIT 150.03',
      // bar 1: the entry fills at the open; the children wait for bar 2 (so the bar's range does not touch them)
      // and are re-priced from the fill: 150.010 ∓ 20 / ± 30 ticks.
      'fill s@1 BUY 100000@150.01 bar 1 entry',
      'Filled s@1',
      'Submitted s@1.sl STOP 149.99',
      'Submitted s@1.tp LIMIT 150.04',
      'mark 1',
      // bar 2: the low touches the stop: filled at the stop, the take-profit cancelled.
      'fill s@1.sl SELL 100000@149.99 bar 2 stop',
      'trade s -2000 stop',
      'Filled s@1.sl STOP 149.99',
      'Cancelled s@1.tp LIMIT 150.04 OCO',
      'mark 2',
      'mark 3',
    ]);
    expect(book.trades()).toEqual([expect.objectContaining({ entryReason: 'entry', exitReason: 'stop', entryPrice: 150.01, exitPrice: 149.99 })]);
    expect(book.workingOrders()).toEqual([]);
  });

  it('gives a strategy its own fills, after the book has applied them and before the next bar, and no one else’s', () => {
    const log: string[] = [];
    const book = createBook({ contracts, accountCurrency: 'JPY', initialCash: 0 });
    const watcher = makeStrategy({
      id: 'w',
      symbol: 'USDJPY',
      input: 'barsAndFills',
      decide: (input$) =>
        input$.pipe(
          map((input, i): TargetPosition | undefined => {
            log.push(input.kind === 'bar' ? `bar ${(input.ts - T0) / MIN}` : `fill ${short(input.orderId)} position ${book.position('w', 'USDJPY')}`);
            return i === 0 ? { ts: input.ts + MIN, target: 1 } : undefined;
          }),
          filter((t): t is TargetPosition => t !== undefined),
        ),
    });
    const { graph } = setup({ bars$: from(bars(3)), strategies: [watcher, scripted('other', { 0: -1 })], book });
    run(graph.events$);
    expect(log).toEqual(['bar 0', 'fill w@1 position 100000', 'bar 1', 'bar 2']);
  });

  it('lets a strategy move its stop on its own fill: its modification comes after the bracket’s re-pricing', () => {
    const breakEven = makeStrategy({
      id: 's',
      symbol: 'USDJPY',
      input: 'barsAndFills',
      bracket: { stopLossTicks: 20 },
      decide: (input$) =>
        input$.pipe(
          map((input, i) =>
            input.kind === 'fill'
              ? { kind: 'modify' as const, ts: input.ts, clientId: 'stopLoss', stopPrice: input.price }
              : i === 0
                ? { ts: input.ts + MIN, target: 1 }
                : undefined,
          ),
          filter(<T>(x: T | undefined): x is T => x !== undefined),
        ),
    });
    const series = ohlc([[150, 150, 150, 150], [150.01, 150.05, 149.95, 150.01], [150.02, 150.03, 150.01, 150.02]]);
    const { graph } = setup({ bars$: from(series), strategies: [breakEven] });
    const log = run(graph.events$);
    expect(log.slice(log.indexOf('Filled s@1'), log.indexOf('mark 1') + 1)).toEqual([
      'Filled s@1',
      'Submitted s@1.sl STOP 149.99',
      'intent s modify stopLoss',
      'Submitted s@1.sl STOP 150.01',
      'mark 1',
    ]);
    // bar 2's low reaches the break-even stop.
    expect(log).toContain('fill s@1.sl SELL 100000@150.01 bar 2 stop');
  });

  it('stays flat after a protective exit while the strategy repeats its target, and follows its next change', () => {
    const targets = [1, 1, 1, 1, -1, -1, -1];
    const stubborn = makeStrategy({
      id: 's',
      symbol: 'USDJPY',
      bracket: { stopLossTicks: 20 },
      decide: map((bar: Bar, i: number) => ({ ts: bar.ts + bar.intervalMs, target: targets[i] })),
    });
    const series = ohlc([[150, 150, 150, 150], [150, 150.005, 149.995, 150], [150, 150, 149.98, 149.99], quiet, quiet, quiet, quiet]);
    const { graph, book } = setup({ bars$: from(series), strategies: [stubborn] });
    const fills = run(graph.events$).filter((l) => l.startsWith('fill'));
    expect(fills).toEqual([
      'fill s@1 BUY 100000@150 bar 1 entry',
      'fill s@1.sl SELL 100000@149.98 bar 2 stop',
      // targets 1, 1 at bars 2 and 3 order nothing; −1 at bar 4 enters short at bar 5's open.
      'fill s@5 SELL 100000@150.01 bar 5 entry',
    ]);
    expect(book.position('s', 'USDJPY')).toBe(-100_000);
  });
});

describe('buildGraph teardown', () => {
  it('stops feeding the broker and the book when the consumer unsubscribes mid-run', () => {
    const { graph, book, broker } = setup({ bars$: from(bars(10)), strategies: [scripted('s', { 0: 1, 5: -1 })] });
    const brokerFills: unknown[] = [];
    broker.events$.pipe(filter((e) => e.kind === 'fill')).subscribe((f) => brokerFills.push(f));
    const seen: string[] = [];
    graph.events$.pipe(take(3)).subscribe((e) => seen.push(describeEvent(e)));
    expect(seen).toEqual(['mark 0', 'signal s 1', 'Accepted s@1']);
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
        f: 'fill s@1 BUY 100000@150.1 bar 1 entry',
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
    const broken = makeStrategy({
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

describe('buildGraph warm-up hold (live start)', () => {
  it('shows history bars to the strategies only: no mark, no settle, their decisions held; live bars trade', () => {
    const held: string[] = [];
    const all = bars(6);
    const { graph, book } = setup({
      bars$: from(all),
      strategies: [scripted('s', { 1: 1, 4: -1 })],
      hold: {
        isHistory: (bar) => bar.ts < T0 + 3 * MIN,
        isBenched: () => false,
        onHeld: (decision, why) => held.push(`${why} ${decision.strategyId} ${'target' in decision ? decision.target : ''}`),
      },
    });
    expect(run(graph.events$)).toEqual(['mark 3', 'mark 4', 'signal s -1', 'Accepted s@5', 'Submitted s@5', 'fill s@5 SELL 100000@150.5 bar 5 entry', 'Filled s@5', 'mark 5']);
    expect(held).toEqual(['history s 1']);
    // The strategy counted the history bars (its 5th bar is bar 4): it decided exactly as in an uninterrupted run.
    expect(book.position('s', 'USDJPY')).toBe(-100_000);
    expect(book.equityCurve('s').every((p) => p.ts >= T0 + 3 * MIN)).toBe(true);
  });

  it('trades nothing for a benched strategy and reports none of its decisions; the others trade', () => {
    const held: string[] = [];
    const { graph } = setup({
      bars$: from(bars(3)),
      strategies: [scripted('benched', { 0: 1 }), scripted('ok', { 0: -1 })],
      hold: { isHistory: () => false, isBenched: (id) => id === 'benched', onHeld: (d, why) => held.push(`${why} ${d.strategyId}`) },
    });
    const events = run(graph.events$);
    expect(events.filter((e) => e.includes('benched'))).toEqual([]);
    expect(events).toContain('signal ok -1');
    expect(held).toEqual(['benched benched']);
  });

  describe('a Gotobi leg restarted at 08:30 JST on a gotobi day, its long position recovered', () => {
    // 2024-01-05 (a Friday, the 5th) is a gotobi day: 00:00 JST = 2024-01-04T15:00Z, 01:00 JST entry, 09:55 JST exit.
    const DAY = Date.parse('2024-01-04T15:00:00Z');
    const RESTART = Date.parse('2024-01-04T23:30:00Z'); // 08:30 JST
    const minuteBars = (from: number, to: number): Bar[] =>
      Array.from({ length: (to - from) / MIN }, (_, i) => makeBar({ ts: from + i * MIN, open: 144 + (i % 7) / 100, close: 144 + ((i + 1) % 7) / 100 }));
    const day = minuteBars(DAY, Date.parse('2024-01-05T01:30:00Z')); // 00:00 … 10:29 JST
    const leg = () => gotobi({ id: 'long_into_fix', symbol: 'USDJPY', side: 'long', contracts: 1, entry: '01:00', exit: '09:55' });
    /** The book as the journal rebuilds it: the entry filled at 01:01 JST. */
    const recoveredBook = () => {
      const book = createBook({ contracts, accountCurrency: 'JPY', initialCash: 10_000_000, dedupe: true });
      book.track('long_into_fix', 'USDJPY');
      book.applyFill(makeFill({ ts: '2024-01-04T16:00:00Z', side: 'BUY', price: 144.01, strategyId: 'long_into_fix', orderId: 'long_into_fix.USDJPY.20240104T160000Z.1' }));
      return book;
    };
    const ordersOf = (events: readonly GraphEvent[]) =>
      events.flatMap((e) => (e.kind === 'order' && e.status === 'Accepted' ? [`${e.order.side} ${e.order.qty} ${new Date(e.order.ts).toISOString()} ${e.order.reason}`] : []));

    it('warmed from 00:00 JST: exits once at 09:55 JST and does not buy again', () => {
      const book = recoveredBook();
      const held: number[] = [];
      const graph = buildGraph({
        bars$: from(day),
        strategies: [leg()],
        broker: createSimBroker({ contracts }),
        book,
        contracts,
        hold: { isHistory: (bar) => bar.ts + bar.intervalMs <= RESTART, isBenched: () => false, onHeld: (d) => 'target' in d && held.push(d.target) },
      });
      const events: GraphEvent[] = [];
      graph.events$.subscribe((e) => events.push(e));
      expect(held).toEqual([1]); // the 01:00 JST entry, seen in warm-up, not traded
      expect(ordersOf(events)).toEqual(['SELL 100000 2024-01-05T00:55:00.000Z exit']);
      expect(book.position('long_into_fix', 'USDJPY')).toBe(0);
    });

    it('stopped out at 05:00 JST (recovered flat): warmed, it does not enter again that day; cold, it would', () => {
      const stoppedOut = () => {
        const book = recoveredBook();
        book.applyFill(makeFill({ ts: '2024-01-04T20:00:00Z', side: 'SELL', price: 143.9, reason: 'stop', strategyId: 'long_into_fix', orderId: 'long_into_fix.USDJPY.20240104T160000Z.1.sl' }));
        return book;
      };
      const warm = buildGraph({
        bars$: from(day),
        strategies: [leg()],
        broker: createSimBroker({ contracts }),
        book: stoppedOut(),
        contracts,
        hold: { isHistory: (bar) => bar.ts + bar.intervalMs <= RESTART, isBenched: () => false },
      });
      const warmEvents: GraphEvent[] = [];
      warm.events$.subscribe((e) => warmEvents.push(e));
      expect(ordersOf(warmEvents)).toEqual([]);

      const cold = buildGraph({ bars$: from(day.filter((b) => b.ts >= RESTART)), strategies: [leg()], broker: createSimBroker({ contracts }), book: stoppedOut(), contracts });
      const coldEvents: GraphEvent[] = [];
      cold.events$.subscribe((e) => coldEvents.push(e));
      expect(ordersOf(coldEvents)).toEqual(['BUY 100000 2024-01-04T23:31:00.000Z entry', 'SELL 100000 2024-01-05T00:55:00.000Z exit']);
    });
  });
});

describe('buildGraph halts: kill, flatten and resume in the order path', () => {
  /** A graph on pushed bars and halts, logging everything but marks and the broker's Submitted and Filled. */
  function controlled(strategies: Strategy[]) {
    const barsIn = new Subject<Bar>();
    const halts = new BehaviorSubject<TradingHalts>(NO_HALTS);
    const { graph, book } = setup({ bars$: barsIn, strategies, halts$: halts });
    const log: string[] = [];
    let completed = false;
    graph.events$.subscribe({
      next: (e) => {
        const line = describeEvent(e);
        if (!/^(mark|Submitted|Filled)/.test(line)) log.push(line);
      },
      error: (error: unknown) => log.push(`error ${String(error)}`),
      complete: () => (completed = true),
    });
    const series = bars(8);
    let next = 0;
    return {
      book,
      /** Pushes the next bar(s); returns what they led to. */
      bar(count = 1): string[] {
        const from = log.length;
        for (let i = 0; i < count; i++) barsIn.next(series[next++]);
        return log.slice(from);
      },
      /** Sets the halts; returns what they led to at once. */
      halt(killAll: boolean, strategiesHalted: TradingHalts['strategies'] = {}): string[] {
        const from = log.length;
        halts.next({ killAll, strategies: strategiesHalted, ts: Date.now() });
        return log.slice(from);
      },
      end(): boolean {
        barsIn.complete();
        return completed;
      },
    };
  }

  it('flatten: cancels every working order (protective ones too), closes at market, refuses targets until resumed, then re-aligns', () => {
    const g = controlled([{ ...scripted('s', { 0: 1, 2: 2 }), bracket: { stopLossTicks: 200, takeProfitTicks: 300 } }]);
    expect(g.bar()).toEqual(['signal s 1', 'Accepted s@1', 'Accepted s@1.sl STOP 149.85', 'Accepted s@1.tp LIMIT 150.35']);
    // The bracket is re-priced from the fill (a modification: Submitted, not logged).
    expect(g.bar()).toEqual(['fill s@1 BUY 100000@150.1 bar 1 entry']);
    // Flatten at the end of bar 1 (event time): the bracket goes, the close is sent.
    expect(g.halt(false, { s: 'flat' })).toEqual(['Cancelled s@1.sl STOP 149.9 FLATTEN', 'Cancelled s@1.tp LIMIT 150.4 FLATTEN', 'Accepted s@2']);
    // Asked again while the close is working: nothing new.
    expect(g.halt(false, { s: 'flat' })).toEqual([]);
    // The close fills at the next open; the strategy's new target is refused, reported as such.
    expect(g.bar()).toEqual(['fill s@2 SELL 100000@150.2 bar 2 exit', 'trade s 10000 exit', 'signal s 2', 'Rejected s@3 FLATTENED', 'Rejected s@3.sl STOP 150.05 FLATTENED', 'Rejected s@3.tp LIMIT 150.55 FLATTENED']);
    expect(g.book.position('s', 'USDJPY')).toBe(0);
    expect(g.bar()).toEqual([]);
    // Resume: the latest target (2) is re-derived at the end of bar 3, with its bracket.
    expect(g.halt(false, {})).toEqual(['Accepted s@4', 'Accepted s@4.sl STOP 150.15', 'Accepted s@4.tp LIMIT 150.65']);
    expect(g.bar()[0]).toBe('fill s@4 BUY 200000@150.4 bar 4 entry');
    expect(g.book.position('s', 'USDJPY')).toBe(200_000);
    expect(g.end()).toBe(true);
  });

  it('errors the run when the halts stream errors: trading never goes on unguarded', () => {
    const { graph } = setup({ bars$: from(bars(3)), strategies: [scripted('s', { 0: 1 })], halts$: throwError(() => new Error('control lost')) });
    let failure: unknown;
    graph.events$.subscribe({ error: (error: unknown) => (failure = error) });
    expect(failure).toEqual(new Error('control lost'));
  });

  it('kill: refuses new exposure and cancels working entries of the strategy killed only; resume sends what its target still wants', () => {
    const g = controlled([scripted('a', { 0: 1, 2: -1 }), scripted('b', { 0: 1 })]);
    expect(g.bar()).toEqual(['signal a 1', 'Accepted a@1', 'signal b 1', 'Accepted b@1']);
    expect(g.halt(false, { a: 'killed' })).toEqual(['Cancelled a@1 KILL_SWITCH']);
    expect(g.bar()).toEqual(['fill b@1 BUY 100000@150.1 bar 1 entry']);
    expect(g.bar()).toEqual(['signal a -1', 'Rejected a@3 KILL_SWITCH']);
    expect(g.halt(false, {})).toEqual(['Accepted a@3#2']);
    expect(g.bar()).toEqual(['fill a@3#2 SELL 100000@150.3 bar 3 entry']);
    expect([g.book.position('a', 'USDJPY'), g.book.position('b', 'USDJPY')]).toEqual([-100_000, 100_000]);
  });

  it('kill all: a reversal goes as its exit (never trapped) and its refused entry; resume re-sends the entry', () => {
    const g = controlled([scripted('r', { 0: 1, 2: -1 })]);
    g.bar(2);
    expect(g.book.position('r', 'USDJPY')).toBe(100_000);
    expect(g.halt(true)).toEqual([]);
    expect(g.bar()).toEqual(['signal r -1', 'Accepted r@3', 'Rejected r@3#2 KILL_SWITCH']);
    expect(g.bar()).toEqual(['fill r@3 SELL 100000@150.3 bar 3 exit', 'trade r 20000 exit']);
    expect(g.book.position('r', 'USDJPY')).toBe(0);
    // The kill switch off: the target (−1) is still unmet, so its entry goes now.
    expect(g.halt(false)).toEqual(['Accepted r@4']);
    expect(g.bar()).toEqual(['fill r@4 SELL 100000@150.4 bar 4 entry']);
    expect(g.book.position('r', 'USDJPY')).toBe(-100_000);
  });
});

describe('buildGraph with fills that come late, in a burst (live)', () => {
  it('leaves one bracket, for the final position, when several reversals fill after all were sent', () => {
    const sim = createSimBroker({ contracts });
    // A broker without onBar: nothing fills with the bars; the test releases the fills when it wants.
    const late: Broker = { name: 'late', events$: sim.events$, place: (o, c) => sim.place(o, c), cancel: (id, r) => sim.cancel(id, r), modify: (o) => sim.modify(o) };
    const book = createBook({ contracts, accountCurrency: 'JPY', initialCash: 10_000_000 });
    const barsIn = new Subject<Bar>();
    const strategy: Strategy = { ...scripted('s', { 0: -1, 2: 1, 3: -1, 4: 1 }), bracket: { stopLossTicks: 300, takeProfitTicks: 500 } };
    buildGraph({ bars$: barsIn, strategies: [strategy], broker: late, book, contracts }).events$.subscribe();
    const series = bars(6);
    barsIn.next(series[0]);
    sim.onBar?.(series[1]); // the short fills in time
    for (const bar of series.slice(1, 5)) barsIn.next(bar); // three reversals sent, none filled yet
    sim.onBar?.(series[5]); // they fill together
    expect(book.position('s', 'USDJPY')).toBe(100_000);
    // Each fill re-placed its own bracket; the later fill's bracket replaced the earlier ones, attached or not.
    expect(book.workingOrders().map((w) => `${short(w.order.id)} ${w.order.side} ${w.order.type} ${w.remaining}`)).toEqual(['s@5.sl SELL STOP 100000', 's@5.tp SELL LIMIT 100000']);
  });
});
