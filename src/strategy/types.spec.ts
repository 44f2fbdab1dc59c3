import { describe, expect, it } from '@jest/globals';
import { filter, map } from 'rxjs';
import { barSeries, lettersFor, marbles } from '../testkit/marbles';
import { makeStrategy, stamp, type StrategyParts } from './types';

const parts = {
  id: 'flip',
  symbol: 'USDJPY',
  decide: (bars$) =>
    bars$.pipe(
      filter((bar) => bar.symbol === 'USDJPY'),
      map((bar, i) => ({ ts: bar.ts + bar.intervalMs, target: i % 2 })),
    ),
} satisfies StrategyParts;
const flip = makeStrategy(parts);

describe('makeStrategy', () => {
  it('makes a plain object that knows its id, symbol and warm-up, and decides on bars', () => {
    const bars = barSeries({ start: 0, closes: [150, 151] });
    expect(flip).toEqual({ id: 'flip', symbol: 'USDJPY', warmup: { bars: 0 }, input: 'bars', decide: expect.any(Function) });
    marbles(({ cold, expectObservable }) => {
      expectObservable(cold('ab|', lettersFor('ab', bars)).pipe(flip.decide)).toBe('xy|', {
        x: { ts: 60_000, target: 0 },
        y: { ts: 120_000, target: 1 },
      });
    });
  });

  it('keeps only the fields a strategy has, its bracket and its input among them', () => {
    const extra = { ...parts, note: 'ignored', warmup: { bars: 3 }, bracket: { stopLossTicks: 10 } } as StrategyParts;
    expect(Object.keys(makeStrategy(extra))).toEqual(['id', 'symbol', 'warmup', 'bracket', 'input', 'decide']);
    expect(makeStrategy({ id: 'f', symbol: 'USDJPY', input: 'barsAndFills', decide: map(() => ({ ts: 0, target: 0 })) }).input).toBe('barsAndFills');
  });

  it('refuses a strategy without an id, a symbol, an operator or a sound warm-up', () => {
    expect(() => makeStrategy({ ...parts, id: '' })).toThrow('strategy: id must be a non-empty string');
    expect(() => makeStrategy({ ...parts, symbol: '' })).toThrow('strategy "flip": symbol must be a non-empty string');
    expect(() => makeStrategy({ ...parts, decide: undefined as unknown as typeof parts.decide })).toThrow('strategy "flip": decide must be an operator');
    expect(() => makeStrategy({ ...parts, warmup: { bars: 1.5 } })).toThrow('strategy "flip": warmup: bars must be a whole number ≥ 0, got 1.5');
    expect(() => makeStrategy({ ...parts, warmup: { session: { zone: 'Asia/Tokyo', from: '9am' } } })).toThrow(/warmup: expected \{ bars: n \}/);
  });
});

describe('stamp', () => {
  it("stamps a target or an intent with the strategy's id and symbol", () => {
    expect(stamp(flip, { ts: 5, target: -2, reason: 'why' })).toStrictEqual({ ts: 5, target: -2, reason: 'why', strategyId: 'flip', symbol: 'USDJPY' });
    expect(stamp(flip, { kind: 'cancel', ts: 5, clientId: 'dip' })).toStrictEqual({ kind: 'cancel', ts: 5, clientId: 'dip', strategyId: 'flip', symbol: 'USDJPY' });
  });
});
