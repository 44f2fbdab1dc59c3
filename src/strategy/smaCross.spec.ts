import type { Bar, TargetPosition } from '../core/types';
import { barSeries, lettersFor, makeBar, marbles } from '../testkit/marbles';
import { createSmaCross, smaCross, type SmaCrossParams } from './smaCross';

const START = Date.parse('2024-01-10T00:00:00Z');
const params = (overrides: Partial<SmaCrossParams> = {}): SmaCrossParams => ({
  id: 'sma',
  symbol: 'USDJPY',
  fast: 1,
  slow: 2,
  contracts: 1,
  tickSize: 0.001,
  ...overrides,
});

/** The target a bar of `barSeries` at index `i` gives (decision at its end). */
const signalAt = (i: number, target: number, reason: string): TargetPosition => ({ ts: START + (i + 1) * 60_000, target, reason });
const up = (i: number, contracts = 1): TargetPosition => signalAt(i, contracts, 'cross up');
const down = (i: number, contracts = 1): TargetPosition => signalAt(i, -contracts, 'cross down');

const signalsOf = (p: SmaCrossParams, bars: readonly Bar[]): TargetPosition[] => {
  const state = createSmaCross(p);
  return bars.map((b) => state.update(b)).filter((t): t is TargetPosition => t !== undefined);
};

describe('smaCross', () => {
  it('treats a tie as no cross and keeps the previous sign', () => {
    // fast 1, slow 2: fast − slow from b on is −, 0 (tie), +, −
    const bars = barSeries({ start: START, closes: [100, 99, 99, 100, 99] });
    marbles(({ cold, expectObservable }) => {
      expectObservable(cold('-a-b-c-d-e-|', lettersFor('abcde', bars)).pipe(smaCross(params()).decide)).toBe('-------L-S-|', {
        L: up(3),
        S: down(4),
      });
    });
  });

  it('does not cross back after a touch: −, 0, − and +, 0, + give nothing', () => {
    // differences from b on: −, 0, −, +, 0, +  → one cross up (at e) only
    const bars = barSeries({ start: START, closes: [100, 99, 99, 98.5, 99, 99, 99.5] });
    expect(signalsOf(params(), bars)).toEqual([up(4)]);
  });

  it('does not enter at warm-up merely because fast > slow; the first cross needs the opposite sign before it', () => {
    // fast 2, slow 3; a steady rise has fast > slow from the first full window on
    const rising = barSeries({ start: START, closes: [100, 101, 102, 103, 104, 105] });
    expect(signalsOf(params({ fast: 2, slow: 3 }), rising)).toEqual([]);
    // then a fall: +, +, 0 (102 = 102, a tie), − → the first cross is down, at the bar after the tie
    const riseThenFall = barSeries({ start: START, closes: [100, 101, 102, 103, 101, 99, 98] });
    expect(signalsOf(params({ fast: 2, slow: 3 }), riseThenFall)).toEqual([down(5)]);
  });

  it('reverses in ONE signal from +contracts to −contracts', () => {
    const bars = barSeries({ start: START, closes: [100, 99, 100, 99, 100] });
    marbles(({ cold, expectObservable }) => {
      expectObservable(cold('-a-b-c-d-e-|', lettersFor('abcde', bars)).pipe(smaCross(params({ contracts: 3 })).decide)).toBe('-----L-S-M-|', {
        L: up(2, 3),
        S: down(3, 3), // one step from +3 to −3, no flat in between
        M: up(4, 3),
      });
    });
  });

  it('decides exactly where float rolling averages invent a cross (a tie read as +5.7e−14)', () => {
    const closes = [149.997, 149.999, 149.998, 149.999, 149.997, 149.995, 149.995, 149.992, 149.993, 149.994];
    const fast = 2;
    const slow = 4;
    const bars = barSeries({ start: START, closes });
    // The trap: SMAs from float rolling sums, as a naive engine keeps them.
    let sumFast = 0;
    let sumSlow = 0;
    let last = 0;
    const naiveCrosses: number[] = [];
    closes.forEach((x, i) => {
      sumFast += x;
      sumSlow += x;
      if (i >= fast) sumFast -= closes[i - fast];
      if (i >= slow) sumSlow -= closes[i - slow];
      if (i < slow - 1) return;
      const d = sumFast / fast - sumSlow / slow;
      if ((d > 0 && last < 0) || (d < 0 && last > 0)) naiveCrosses.push(i);
      if (d !== 0) last = Math.sign(d);
    });
    expect(naiveCrosses).toEqual([4, 9]);
    // In ticks, bar 9 is a tie: slow · Σfast = 4 · (149993 + 149994) = 2 · (149995 + 149992 + 149993 + 149994) = fast · Σslow.
    expect(4 * (149993 + 149994)).toBe(2 * (149995 + 149992 + 149993 + 149994));
    marbles(({ cold, expectObservable }) => {
      const source = cold('-abcdefghij-|', lettersFor('abcdefghij', bars));
      expectObservable(source.pipe(smaCross(params({ fast, slow })).decide)).toBe('-----S------|', { S: down(4) });
    });
  });

  it('stays exact past 2^53 with BigInt sums: huge prices give the signals of the same series shifted down', () => {
    // tickSize 1, fast 2, slow 3: the double path is exact while |ticks| ≤ ⌊(2^53 − 1)/6⌋ ≈ 1.5e15.
    const offsets = [0, 3, 1, 2, 2, -1, 0, 0, 4, 1, 2, 3, 3, 0, -2, 1, 1, 1, 5, 2, 2, 2, 0, 3];
    const base = 3e15 + 1;
    const small = barSeries({ start: START, closes: offsets.map((o) => 100 + o) });
    const huge = barSeries({ start: START, closes: offsets.map((o) => base + o) });
    const p = params({ fast: 2, slow: 3, tickSize: 1 });
    const expected = signalsOf(p, small);
    expect(expected.length).toBeGreaterThan(2);
    expect(signalsOf(p, huge)).toEqual(expected);
    // Doubles would not do: at this size 3·Σ2 and 2·Σ3 round to the same value on some bar where they differ.
    const misjudged = offsets.some((_, i) => {
      if (i < 2) return false;
      const f = [huge[i - 1].close, huge[i].close];
      const s = [huge[i - 2].close, ...f];
      const exact = 3n * (BigInt(f[0]) + BigInt(f[1])) - 2n * (BigInt(s[0]) + BigInt(s[1]) + BigInt(s[2]));
      const double = 3 * (f[0] + f[1]) - 2 * (s[0] + s[1] + s[2]);
      return Math.sign(double) !== Math.sign(Number(exact));
    });
    expect(misjudged).toBe(true);
  });

  it('switches to BigInt mid-series without losing the windows it already holds', () => {
    // 1e15 is within the double bound of fast 2 / slow 3, 1.6e15 beyond it; a shift by 1e15 keeps every decision.
    const offsets = [0, 3, 1, 2, 2, -1, 0, 4, 1, 2, 3, 3, 0, -2, 1];
    const shape = [...offsets.map((o) => 100 + o), ...offsets.map((o) => 6e14 + 100 + o)];
    const p = params({ fast: 2, slow: 3, tickSize: 1 });
    const expected = signalsOf(p, barSeries({ start: START, closes: shape }));
    expect(expected.filter((x) => x.ts > START + offsets.length * 60_000).length).toBeGreaterThan(0);
    expect(signalsOf(p, barSeries({ start: START, closes: shape.map((x) => x + 1e15) }))).toEqual(expected);
  });

  it('ignores bars of other symbols', () => {
    const usdjpy = barSeries({ start: START, closes: [100, 99, 99, 100, 99] });
    const eurusd = (i: number): Bar => makeBar({ symbol: 'EURUSD', ts: START + i * 60_000, close: 1.1 });
    const mixed = usdjpy.flatMap((b, i) => [eurusd(i), b]);
    expect(signalsOf(params(), mixed)).toEqual([up(3), down(4)]);
  });

  it('gives every subscription its own windows', () => {
    const bars = barSeries({ start: START, closes: [100, 99, 100] });
    marbles(({ cold, expectObservable }) => {
      const signals = cold('-a-b-c-|', lettersFor('abc', bars)).pipe(smaCross(params()).decide);
      expectObservable(signals).toBe('-----L-|', { L: up(2) });
      expectObservable(signals).toBe('-----L-|', { L: up(2) });
    });
  });

  it('refuses bad parameters with an error naming the strategy and the field', () => {
    expect(() => smaCross(params({ fast: 0 }))).toThrow('smaCross "sma": fast must be an integer ≥ 1, got 0');
    expect(() => smaCross(params({ fast: 5, slow: 5 }))).toThrow('smaCross "sma": slow must be an integer greater than fast (5), got 5');
    expect(() => smaCross(params({ contracts: -1 }))).toThrow('smaCross "sma": contracts must be a finite number > 0, got -1');
    expect(() => smaCross(params({ tickSize: 0 }))).toThrow('smaCross "sma": tickSize must be a finite number > 0, got 0');
    expect(() => createSmaCross(params()).update(makeBar({ ts: START, close: Number.NaN }))).toThrow(
      'smaCross "sma": close NaN is not a finite price',
    );
  });
});
