import { describe, expect, it } from '@jest/globals';
import { filter, map } from 'rxjs';
import { barSeries, lettersFor, marbles } from '../testkit/marbles';
import { defineStrategy, signalOf, type Strategy } from './types';

const flip = defineStrategy({
  id: 'flip',
  symbol: 'USDJPY',
  decide: (bars$) =>
    bars$.pipe(
      filter((bar) => bar.symbol === 'USDJPY'),
      map((bar, i) => ({ ts: bar.ts + bar.intervalMs, target: i % 2 })),
    ),
});

describe('defineStrategy', () => {
  it('makes a plain object that knows its id and symbol and decides on bars', () => {
    const bars = barSeries({ start: 0, closes: [150, 151] });
    expect(flip).toEqual({ id: 'flip', symbol: 'USDJPY', decide: expect.any(Function) });
    marbles(({ cold, expectObservable }) => {
      expectObservable(cold('ab|', lettersFor('ab', bars)).pipe(flip.decide)).toBe('xy|', {
        x: { ts: 60_000, target: 0 },
        y: { ts: 120_000, target: 1 },
      });
    });
  });

  it('keeps only the fields a strategy has', () => {
    const extra = { ...flip, note: 'ignored' } as Strategy;
    expect(Object.keys(defineStrategy(extra))).toEqual(['id', 'symbol', 'decide']);
  });

  it('refuses a strategy without an id, a symbol or an operator', () => {
    expect(() => defineStrategy({ ...flip, id: '' })).toThrow('strategy: id must be a non-empty string');
    expect(() => defineStrategy({ ...flip, symbol: '' })).toThrow('strategy "flip": symbol must be a non-empty string');
    expect(() => defineStrategy({ ...flip, decide: undefined as unknown as Strategy['decide'] })).toThrow('strategy "flip": decide must be an operator');
  });
});

describe('signalOf', () => {
  it("stamps a target with the strategy's id and symbol, keeping a reason only when there is one", () => {
    expect(signalOf(flip, { ts: 5, target: -2, reason: 'why' })).toStrictEqual({ strategyId: 'flip', symbol: 'USDJPY', ts: 5, target: -2, reason: 'why' });
    expect(signalOf(flip, { ts: 5, target: 1 })).toStrictEqual({ strategyId: 'flip', symbol: 'USDJPY', ts: 5, target: 1 });
  });
});
