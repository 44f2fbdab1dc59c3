import { loadContracts } from '../../src/core/contracts';
import { lettersFor, makeBar, marbles } from '../../src/testkit';
import triangleSpread from './triangleSpread';

const EURJPY = loadContracts().EURJPY;
const T0 = Date.parse('2024-01-03T00:00:00Z');
const MIN = 60_000;
const bar = (symbol: string, minute: number, close: number) => makeBar({ symbol, ts: T0 + minute * MIN, close });

describe('triangleSpread', () => {
  const strategy = triangleSpread.create({ id: 'tri', symbol: 'EURJPY', reads: ['EURUSD', 'USDJPY'], params: { entryTicks: 3 }, contract: EURJPY });

  it('trades the cross against the product of its legs, once the three bars of a minute are in', () => {
    // Minute 0: 165.004 vs 1.1 × 150 = 165.000, 4 ticks rich → short. Minute 1: USDJPY missing → nothing.
    // Minute 2: 165.000 vs 165.000 → flat again.
    const bars = [bar('EURJPY', 0, 165.004), bar('EURUSD', 0, 1.1), bar('USDJPY', 0, 150), bar('EURJPY', 1, 164.9), bar('EURUSD', 1, 1.1), bar('EURJPY', 2, 165), bar('EURUSD', 2, 1.1), bar('USDJPY', 2, 150)];
    marbles(({ cold, expectObservable }) => {
      expectObservable(cold('abcdefgh|', lettersFor('abcdefgh', bars)).pipe(strategy.decide)).toBe('--x----y|', {
        x: { ts: T0 + MIN, target: -1, reason: 'gap 4 ticks' },
        y: { ts: T0 + 3 * MIN, target: 0, reason: 'gap 0 ticks' },
      });
    });
    expect(strategy.reads).toEqual(['EURUSD', 'USDJPY']);
  });

  it('needs its two legs under reads, and sound params', () => {
    expect(() => triangleSpread.create({ id: 'tri', symbol: 'EURJPY', params: {}, contract: EURJPY })).toThrow('strategy "tri": reads must list the two legs whose product is EURJPY');
    expect(() => triangleSpread.create({ id: 'tri', symbol: 'EURJPY', reads: ['EURUSD', 'USDJPY'], params: { entryTicks: 2, exitTicks: 2 }, contract: EURJPY })).toThrow(
      'params.exitTicks: exitTicks must be below entryTicks',
    );
  });
});
