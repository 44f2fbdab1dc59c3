import { EMPTY, map, share, type SchedulerLike } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { barBuilder } from '../../operators/barBuilder';
import { createMarbleScheduler } from '../testkit/marbles';
import { wallClock, watermarkClock } from './clocks';
import { ConfigError, DataError } from './errors';
import { MINUTE_MS } from './time';
import type { Bar, QuoteTick } from './types';

const T0 = Date.UTC(2024, 0, 5, 10, 0, 0);
const quote = (ts: number, mid: number): QuoteTick => ({ kind: 'quote', symbol: 'USDJPY', ts, bid: mid - 0.25, ask: mid + 0.25 });
const oneQuoteBar = (ts: number, mid: number): Bar => ({ kind: 'bar', symbol: 'USDJPY', ts, intervalMs: MINUTE_MS, open: mid, high: mid, low: mid, close: mid, volume: 1 });

/** The test scheduler seen through a local clock that is `skewMs` off. */
function skewed(scheduler: TestScheduler, skewMs: number): SchedulerLike {
  return { now: () => scheduler.now() + skewMs, schedule: scheduler.schedule.bind(scheduler) };
}

describe('watermarkClock', () => {
  it('advances the newest feed time by the elapsed scheduler time (its doc diagram)', () => {
    const scheduler = createMarbleScheduler();
    scheduler.run(({ hot, expectObservable }) => {
      const feed = hot('-a---b-----|', { a: 100, b: 200 });
      expectObservable(watermarkClock(feed, { periodMs: 3, scheduler })).toBe('---x--y--z-|', { x: 102, y: 201, z: 204 });
    });
  });

  it('stays silent until the feed has spoken and holds back graceMs', () => {
    const scheduler = createMarbleScheduler();
    scheduler.run(({ hot, expectObservable }) => {
      const feed = hot('----a-------', { a: 1000 });
      expectObservable(watermarkClock(feed, { periodMs: 3, scheduler, graceMs: 5 }), '^----------!').toBe('------x--y-', { x: 997, y: 1000 });
    });
  });

  it('never goes backwards when the feed falls behind its extrapolation, nor for an older event', () => {
    const scheduler = createMarbleScheduler();
    scheduler.run(({ hot, expectObservable }) => {
      const feed = hot('-a--------bc--------', { a: 100, b: 101, c: 50 });
      // 9 → 108; b re-anchors at 101 (frame 10): 12 → 103, 15 → 106 are held; 18 → 109.
      expectObservable(watermarkClock(feed, { periodMs: 3, scheduler }), '^------------------!').toBe('---x--y--z--------w', {
        x: 102,
        y: 105,
        z: 108,
        w: 109,
      });
    });
  });

  it('gives the same watermarks whatever the local clock reads (skew, or a feed replayed from history)', () => {
    for (const skewMs of [0, -3_600_000, 1_000_000_000_000]) {
      const scheduler = createMarbleScheduler();
      scheduler.run(({ hot, expectObservable }) => {
        const history = Date.UTC(2019, 5, 3, 8, 0, 0);
        const feed = hot('-a--', { a: history });
        expectObservable(watermarkClock(feed, { periodMs: 2, scheduler: skewed(scheduler, skewMs) }), '^----!').toBe('--x-y', {
          x: history + 1,
          y: history + 3,
        });
      });
    }
  });

  it('passes a feed error on and stops ticking on unsubscribe', () => {
    const scheduler = createMarbleScheduler();
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const broken = hot('-a--#', { a: 100 }, new Error('feed down'));
      expectObservable(watermarkClock(broken, { periodMs: 3, scheduler })).toBe('---x#', { x: 102 }, new Error('feed down'));
      const feed = hot('-a-----------', { a: 100 });
      expectObservable(watermarkClock(feed, { periodMs: 3, scheduler }), '^-------!').toBe('---x--y--', { x: 102, y: 105 });
      expectSubscriptions(feed.subscriptions).toBe('^-------!');
    });
  });

  it('rejects a bad period or grace', () => {
    expect(() => watermarkClock(EMPTY, { periodMs: 0 })).toThrow(ConfigError);
    expect(() => watermarkClock(EMPTY, { periodMs: 0 })).toThrow('watermarkClock: periodMs must be a finite number > 0, got 0');
    expect(() => watermarkClock(EMPTY, { periodMs: 10, graceMs: -1 })).toThrow(
      'watermarkClock: graceMs must be a finite number ≥ 0, got -1',
    );
  });
});

describe('watermarkClock driving barBuilder (live, in virtual time)', () => {
  it('closes a quiet market bar once the feed time plus elapsed time passes its end', () => {
    const scheduler = createMarbleScheduler();
    scheduler.run(({ hot, expectObservable }) => {
      // One quote at 10:00:30 feed time, then silence; the clock ticks every second of scheduler time.
      const ticks$ = hot('-a', { a: quote(T0 + 30_000, 150) }).pipe(share());
      const clock$ = watermarkClock(ticks$.pipe(map((t) => t.ts)), { periodMs: 1000, scheduler });
      // Seen at frame 1; at frame 31000 the watermark is 10:00:30 + 30.999 s ≥ 10:01:00.
      expectObservable(ticks$.pipe(barBuilder(MINUTE_MS, { clock$ })), '^ 40s !').toBe('31s x', { x: oneQuoteBar(T0, 150) });
    });
  });

  it('lets a tick delayed within graceMs still make its bar; without grace it is late', () => {
    // b (10:00:59.900) reaches us 1.3 s after a (10:00:59.000): 400 ms behind the feed time extrapolated from a.
    const a = quote(T0 + 59_000, 150);
    const b = quote(T0 + 59_900, 151);
    const scheduler = createMarbleScheduler();
    scheduler.run(({ hot, expectObservable }) => {
      const ticks$ = hot('-a 1299ms b', { a, b }).pipe(share());
      const clock$ = watermarkClock(ticks$.pipe(map((t) => t.ts)), { periodMs: 100, scheduler, graceMs: 500 });
      // Before b: 59.000 + 1.299 − 0.5 s < 60 s. After b: 59.900 + elapsed − 0.5 s reaches 60 s at frame 1901 → tick 2000.
      const expected = { ...oneQuoteBar(T0, 150), high: 151, close: 151, volume: 2 };
      expectObservable(ticks$.pipe(barBuilder(MINUTE_MS, { clock$ })), '^ 3s !').toBe('2000ms x', { x: expected });
    });
    const strict = createMarbleScheduler();
    strict.run(({ hot, expectObservable }) => {
      const ticks$ = hot('-a 1299ms b', { a, b }).pipe(share());
      const clock$ = watermarkClock(ticks$.pipe(map((t) => t.ts)), { periodMs: 100, scheduler: strict });
      const late = new DataError(
        "late event: older than the open bucket (late: 'error')",
        { field: 'ts' },
        'symbol USDJPY, event ts 2024-01-05T10:00:59.900Z, bucket 2024-01-05T10:01:00.000Z to 2024-01-05T10:02:00.000Z',
      );
      expectObservable(ticks$.pipe(barBuilder(MINUTE_MS, { clock$ })), '^ 3s !').toBe('1100ms x 200ms #', { x: oneQuoteBar(T0, 150) }, late);
    });
  });
});

describe('wallClock', () => {
  it('emits scheduler.now() every period until unsubscribed', () => {
    const scheduler = createMarbleScheduler();
    scheduler.run(({ expectObservable }) => {
      expectObservable(wallClock(3, scheduler), '^---------!').toBe('---a--b--c', { a: 3, b: 6, c: 9 });
    });
    expect(() => wallClock(-1)).toThrow('wallClock: periodMs must be a finite number > 0, got -1');
  });
});
