import { Subject, throwError } from 'rxjs';
import { createMarbleScheduler, makeBar } from '../testkit/marbles';
import { createControlState, UnknownStrategyError, type ControlEvent, type EngineEvent } from './control';
import { makeFill, makeOrderEvent, makePosition, T0 } from '../../test/support/controlFixtures';
import { createRingBuffer } from './ringBuffer';
import { eventMessage } from './telegramFormat';
import { restoreControl } from './controlStore';
import type { ControlStoreAction } from './control';
import type { TradingHalts } from '../core/halts';

describe('createControlState', () => {
  it('turns executions and connection changes into numbered control events', () => {
    const scheduler = createMarbleScheduler();
    const accepted = makeOrderEvent();
    const fill = makeFill();
    const control = createControlState({ mode: 'live', accountCurrency: 'USD', now: () => scheduler.now() });
    scheduler.run(({ cold, expectObservable }) => {
      const expected: Record<string, ControlEvent> = {
        c: { kind: 'connection', seq: 1, ts: 0, state: 'connected', previous: 'connecting' },
        o: { kind: 'order', seq: 2, ts: accepted.ts, order: accepted },
        f: { kind: 'fill', seq: 3, ts: fill.ts, fill },
        d: { kind: 'connection', seq: 4, ts: 4, state: 'disconnected', previous: 'connected' },
      };
      // Subscribe first: the sources attached below start in the same frame.
      expectObservable(control.events$).toBe('co-fd', expected);
      control.attach({
        executions$: cold('-a-f|', { a: accepted, f: fill }),
        connection$: cold('c-c-d', { c: 'connected', d: 'disconnected' }),
      });
    });
    expect(control.orders()).toEqual([accepted]);
    expect(control.fills()).toEqual([fill]);
    expect(control.status().connection).toBe('disconnected');
    expect(control.status().strategies).toEqual(['gotobi-a']);
    expect(control.recentEvents(2).map((e) => e.seq)).toEqual([3, 4]);
  });

  it('publishes the kill switch to the order path only on change, current value first', () => {
    const scheduler = createMarbleScheduler();
    const control = createControlState({ mode: 'replay', accountCurrency: 'USD', now: () => scheduler.now() });
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(control.halts$).toBe('ft---g', {
        f: { killAll: false, strategies: {}, ts: 0 },
        t: { killAll: true, strategies: {}, ts: 1 },
        g: { killAll: false, strategies: {}, ts: 5 },
      });
      expectObservable(control.events$).toBe('-k---r', {
        k: { kind: 'killSwitch', seq: 1, ts: 1, on: true, reason: 'manual' },
        r: { kind: 'killSwitch', seq: 2, ts: 5, on: false, reason: 'resume' },
      });
      cold('-a-b-c', { a: true, b: true, c: false }).subscribe((on) =>
        control.setKillSwitch(on, on ? (scheduler.now() === 1 ? 'manual' : 'again') : 'resume'),
      );
    });
    expect(control.status().killSwitch).toEqual({ on: false, reason: 'resume', since: 5 });
  });

  it('keeps the first reason when the kill switch is set to the state it already has', () => {
    const control = createControlState({ mode: 'live', accountCurrency: 'USD', now: () => 42, killSwitch: { on: true, reason: 'start halted' } });
    expect(control.setKillSwitch(true, 'again')).toEqual({ on: true, reason: 'start halted', since: null });
    expect(control.recentEvents()).toEqual([]);
  });

  it('counts bars and remembers the last bar per symbol', () => {
    const bars = new Subject<ReturnType<typeof makeBar>>();
    const control = createControlState({ mode: 'replay', accountCurrency: 'USD', now: () => T0 });
    control.attach({ bars$: bars });
    bars.next(makeBar({ symbol: 'USDJPY', ts: T0, close: 150 }));
    bars.next(makeBar({ symbol: 'EURUSD', ts: T0, close: 1.1 }));
    bars.next(makeBar({ symbol: 'USDJPY', ts: T0 + 60_000, close: 150.1 }));
    expect(control.status()).toMatchObject({ mode: 'replay', connection: 'replay', barsSeen: 3, lastBarTs: { EURUSD: T0, USDJPY: T0 + 60_000 } });
  });

  it('keeps the latest position per strategy and symbol and rolls PnL up per strategy in the account currency', () => {
    const positions = new Subject<ReturnType<typeof makePosition>>();
    const equity = new Subject<{ ts: number; equity: number }>();
    const control = createControlState({ mode: 'live', accountCurrency: 'USD', strategyIds: ['gotobi-b', 'idle'] });
    control.attach({ positions$: positions, equity$: equity });
    positions.next(makePosition({ strategyId: 'gotobi-b', unrealizedPnl: 500, unrealizedPnlAccount: 3.33 }));
    positions.next(makePosition({ strategyId: 'gotobi-a', symbol: 'USDJPY', realizedPnl: 1500, realizedPnlAccount: 10, unrealizedPnl: -300, unrealizedPnlAccount: -2 }));
    positions.next(makePosition({ strategyId: 'gotobi-a', symbol: 'EURUSD', qty: -100_000, realizedPnl: 5, realizedPnlAccount: 5 }));
    positions.next(makePosition({ strategyId: 'gotobi-b', qty: 0, realizedPnl: 600, realizedPnlAccount: 4, unrealizedPnl: 0, unrealizedPnlAccount: 0 }));
    equity.next({ ts: T0, equity: 100_019 });

    expect(control.positions().map((p) => `${p.strategyId}/${p.symbol}/${p.qty}`)).toEqual([
      'gotobi-a/EURUSD/-100000',
      'gotobi-a/USDJPY/100000',
      'gotobi-b/USDJPY/0',
    ]);
    const pnl = control.pnl();
    expect(pnl.strategies.map((s) => [s.strategyId, s.realizedAccount, s.unrealizedAccount, s.totalAccount])).toEqual([
      ['gotobi-a', 15, -2, 13],
      ['gotobi-b', 4, 0, 4],
    ]);
    expect(pnl.strategies[0].legs).toEqual([
      { symbol: 'EURUSD', qty: -100_000, realized: 5, unrealized: 0, commission: 0 },
      { symbol: 'USDJPY', qty: 100_000, realized: 1500, unrealized: -300, commission: 0 },
    ]);
    expect(pnl).toMatchObject({ accountCurrency: 'USD', realizedAccount: 19, unrealizedAccount: -2, totalAccount: 17, equity: { ts: T0, equity: 100_019 } });
    expect(control.status().strategies).toEqual(['gotobi-a', 'gotobi-b', 'idle']);
  });

  it('reads bars, equity and executions from the graph stream and positions from a queryable book', () => {
    const graph = new Subject<EngineEvent>();
    const book = [makePosition({ strategyId: 'gotobi-b', realizedPnlAccount: 3 }), makePosition({ strategyId: 'gotobi-a', unrealizedPnlAccount: -1 })];
    const control = createControlState({ mode: 'replay', accountCurrency: 'USD', readPositions: () => book });
    control.attach({ graph$: graph });
    const bar = makeBar({ ts: T0, close: 150 });
    const fill = makeFill();
    graph.next({ kind: 'signal' });
    graph.next({ kind: 'mark', bar, equity: 100_002 });
    graph.next(fill);
    control.record({ kind: 'mark', bar: { ...bar, ts: T0 + 60_000 }, equity: 100_005 });

    expect(control.status()).toMatchObject({ barsSeen: 2, lastBarTs: { USDJPY: T0 + 60_000 }, strategies: ['gotobi-a', 'gotobi-b'] });
    expect(control.fills()).toEqual([fill]);
    expect(control.positions()).toBe(book);
    expect(control.pnl()).toMatchObject({
      strategies: [{ strategyId: 'gotobi-a', totalAccount: -1 }, { strategyId: 'gotobi-b', totalAccount: 3 }],
      totalAccount: 2,
      equity: { ts: T0 + 120_000, equity: 100_005 },
    });
  });

  it('keeps only the most recent orders, fills and events', () => {
    const executions = new Subject<ReturnType<typeof makeOrderEvent>>();
    const control = createControlState({ mode: 'live', accountCurrency: 'USD', historySize: 3, eventHistorySize: 3 });
    control.attach({ executions$: executions });
    for (let i = 1; i <= 5; i += 1) executions.next(makeOrderEvent({ ts: T0 + i }));
    expect(control.orders().map((e) => e.ts)).toEqual([T0 + 3, T0 + 4, T0 + 5]);
    expect(control.recentEvents().map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(control.recentEvents(4).map((e) => e.seq)).toEqual([5]);
  });

  it('reports a failing source as an error notice and keeps the other sources running', () => {
    const executions = new Subject<ReturnType<typeof makeFill>>();
    const control = createControlState({ mode: 'live', accountCurrency: 'USD', now: () => 7 });
    const seen: ControlEvent[] = [];
    control.events$.subscribe((e) => seen.push(e));
    control.attach({ executions$: executions, connection$: throwError(() => new Error('socket closed')) });
    executions.next(makeFill());
    expect(seen.map((e) => e.kind)).toEqual(['notice', 'fill']);
    expect(seen[0]).toEqual({ kind: 'notice', seq: 1, ts: 7, level: 'error', message: 'connection$ failed: socket closed' });
  });

  it('publishes the order path\'s alert (a position without its protection) as an error notice, for the dashboard and Telegram', () => {
    const graph = new Subject<EngineEvent>();
    const control = createControlState({ mode: 'live', accountCurrency: 'USD', now: () => 9 });
    const seen: ControlEvent[] = [];
    control.events$.subscribe((e) => seen.push(e));
    control.attach({ graph$: graph });
    const message = 'strategy "sma" (USDJPY): position 100000 is not protected as the bracket of sma.USDJPY.20240105T000100Z.1 says: no working stop-loss';
    graph.next({ kind: 'error', message });
    expect(seen).toEqual([{ kind: 'notice', seq: 1, ts: 9, level: 'error', message }]);
    expect(eventMessage(seen[0])).toEqual({ title: 'Error', lines: [message] });
  });

  it('kills, flattens and resumes known strategies only, each change an event and a new halts value', () => {
    const control = createControlState({ mode: 'live', accountCurrency: 'USD', strategyIds: ['a', 'b'], now: () => 10 });
    const halts: TradingHalts[] = [];
    control.halts$.subscribe((h) => halts.push(h));
    expect(control.killStrategy('a', 'a misbehaves', 'http')).toMatchObject({ halt: 'killed', reason: 'a misbehaves' });
    expect(control.flatten('b', 'close b')).toEqual(['b']);
    // Again while under way: no new event, but the order path re-checks (it sends only what is missing).
    expect(control.flatten('b', 'again')).toEqual(['b']);
    // A kill does not lift a flatten.
    expect(control.killStrategy('b', 'kill b').halt).toBe('flat');
    expect(() => control.flatten('nope', 'x')).toThrow(UnknownStrategyError);
    expect(() => control.killStrategy('nope', 'x')).toThrow(UnknownStrategyError);
    expect(() => control.resume('nope', 'x')).toThrow(UnknownStrategyError);
    expect(control.status().halts).toEqual({ a: { halt: 'killed', reason: 'a misbehaves', since: expect.any(Number) }, b: { halt: 'flat', reason: 'close b', since: expect.any(Number) } });
    control.setKillSwitch(true, 'everything');
    control.resume('a', 'a is fine');
    expect(halts.map((h) => [h.killAll, h.strategies])).toEqual([
      [false, {}],
      [false, { a: 'killed' }],
      [false, { a: 'killed', b: 'flat' }],
      [false, { a: 'killed', b: 'flat' }],
      [true, { a: 'killed', b: 'flat' }],
      [true, { b: 'flat' }],
    ]);
    control.resume(undefined, 'all clear');
    expect(halts.at(-1)).toMatchObject({ killAll: false, strategies: {} });
    expect(halts).toHaveLength(7);
    expect(control.status().halts).toEqual({});
    expect(control.recentEvents().map((e) => (e.kind === 'halt' ? `${e.strategyId} ${e.halt}` : e.kind === 'killSwitch' ? `all ${e.on}` : e.kind))).toEqual([
      'a killed',
      'b flat',
      'all true',
      'a null',
      'b null',
      'all false',
    ]);
    expect(control.flatten(undefined, 'close all')).toEqual(['a', 'b']);
  });

  it('keeps every change in its store before acting, and starts from what the store restores', () => {
    const kept: ControlStoreAction[] = [];
    const store = { restore: () => restoreControl(kept), record: (action: ControlStoreAction) => void kept.push(action) };
    let clock = 100;
    const first = createControlState({ mode: 'live', accountCurrency: 'USD', strategyIds: ['a', 'b', 'c'], store, now: () => clock });
    first.setKillSwitch(true, 'news', 'telegram');
    clock = 101;
    first.flatten('a', 'close a', 'http');
    clock = 102;
    first.killStrategy('b', 'b is wrong', 'http');
    first.killStrategy('c', 'c too', 'http');
    first.resume('c', 'c is fine', 'http');
    expect(kept.map((a) => `${a.kind} ${a.strategyId ?? '*'} ${a.source}`)).toEqual(['kill * telegram', 'flatten a http', 'kill b http', 'kill c http', 'resume c http']);
    first.dispose();
    // A restart: the same halts, before any change.
    const second = createControlState({ mode: 'live', accountCurrency: 'USD', store, now: () => clock });
    expect(second.status().killSwitch).toEqual({ on: true, reason: 'news', since: 100 });
    expect(second.status().halts).toEqual({ a: { halt: 'flat', reason: 'close a', since: 101 }, b: { halt: 'killed', reason: 'b is wrong', since: 102 } });
    expect(second.status().strategies).toEqual(['a', 'b', 'c']);
    let restored: TradingHalts | undefined;
    second.halts$.subscribe((h) => (restored = h));
    expect(restored).toMatchObject({ killAll: true, strategies: { a: 'flat', b: 'killed' } });
  });

  it('completes events$ and detaches sources on dispose', () => {
    const executions = new Subject<ReturnType<typeof makeFill>>();
    const control = createControlState({ mode: 'live', accountCurrency: 'USD' });
    let completed = false;
    control.events$.subscribe({ complete: () => (completed = true) });
    control.attach({ executions$: executions });
    control.dispose();
    executions.next(makeFill());
    expect(completed).toBe(true);
    expect(executions.observed).toBe(false);
    expect(control.fills()).toEqual([]);
  });
});

describe('createControlState: what the dashboard is fed', () => {
  it('publishes each closed bar and, after every mark, fill and order event, the book as it is then', () => {
    const positions = [makePosition({ qty: 0, avgPrice: 0 })];
    const working = [makeOrderEvent().order];
    const control = createControlState({ mode: 'live', accountCurrency: 'USD', readPositions: () => positions, readWorkingOrders: () => working, now: () => 5 });
    const seen: ControlEvent[] = [];
    control.events$.subscribe((e) => seen.push(e));
    const bar = makeBar({ symbol: 'USDJPY', ts: T0, close: 150.2 });
    control.record({ kind: 'mark', bar, equity: 1_000_010 });
    positions[0] = makePosition();
    control.record(makeFill());
    expect(seen.map((e) => `${e.seq} ${e.kind}`)).toEqual(['1 bar', '2 book', '3 fill', '4 book']);
    expect(seen[0]).toEqual({ kind: 'bar', seq: 1, ts: T0, bar });
    expect(seen[1]).toMatchObject({ kind: 'book', ts: T0 + bar.intervalMs, workingOrders: working, pnl: { equity: { ts: T0 + bar.intervalMs, equity: 1_000_010 } } });
    expect(seen[3]).toMatchObject({ kind: 'book', positions: [makePosition()] });
    expect(control.status().lastSeq).toBe(4);
  });

  it('keeps the forming bar per symbol until its bar closes, as transient events outside the numbered history', () => {
    const control = createControlState({ mode: 'live', accountCurrency: 'USD' });
    const transient: unknown[] = [];
    control.transient$?.subscribe((e) => transient.push(e));
    const forming = makeBar({ symbol: 'USDJPY', ts: T0 + 60_000, close: 150.3 });
    control.setForming(forming);
    expect(transient).toEqual([{ kind: 'forming', bar: forming }]);
    expect(control.status()).toMatchObject({ forming: [forming], lastSeq: 0 });
    control.record({ kind: 'mark', bar: makeBar({ symbol: 'USDJPY', ts: T0, close: 150 }), equity: 1 });
    expect(control.status().forming).toEqual([forming]);
    control.record({ kind: 'mark', bar: { ...forming, close: 150.4 }, equity: 1 });
    expect(control.status().forming).toEqual([]);
  });

  it('reports the connection with its attempt and wait, and a new attempt as a new event', () => {
    let clock = 1000;
    const control = createControlState({ mode: 'live', accountCurrency: 'USD', initialConnection: 'connected', now: () => clock });
    const seen: ControlEvent[] = [];
    control.events$.subscribe((e) => seen.push(e));
    control.setConnection('disconnected', { attempt: 1, retryInMs: 1000, reason: 'connection closed' });
    clock = 3000;
    control.setConnection('disconnected', { attempt: 2, retryInMs: 2000, reason: 'connection closed' });
    control.setConnection('disconnected', { attempt: 2, retryInMs: 2000, reason: 'connection closed' });
    expect(seen).toEqual([
      { kind: 'connection', seq: 1, ts: 1000, state: 'disconnected', previous: 'connected', attempt: 1, retryInMs: 1000, reason: 'connection closed' },
      { kind: 'connection', seq: 2, ts: 3000, state: 'disconnected', previous: 'disconnected', attempt: 2, retryInMs: 2000, reason: 'connection closed' },
    ]);
    expect(control.status().connectionDetail).toEqual({ since: 3000, attempt: 2, retryInMs: 2000, reason: 'connection closed' });
  });
});

describe('createRingBuffer', () => {
  it('returns the last `capacity` items oldest first and counts everything pushed', () => {
    const ring = createRingBuffer<number>(3);
    expect(ring.toArray()).toEqual([]);
    [1, 2].forEach((n) => ring.push(n));
    expect(ring.toArray()).toEqual([1, 2]);
    [3, 4, 5, 6, 7].forEach((n) => ring.push(n));
    expect(ring.toArray()).toEqual([5, 6, 7]);
    expect([ring.size(), ring.total()]).toEqual([3, 7]);
  });

  it('refuses a capacity below one', () => {
    expect(() => createRingBuffer(0)).toThrow('ring buffer capacity must be an integer ≥ 1, got 0');
  });
});
