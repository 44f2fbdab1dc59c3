import { barSeries, lettersFor, marbles } from '../src/testkit/marbles';
import { upStreak } from './upStreak';

describe('upStreak', () => {
  const bars = barSeries({ symbol: 'USDJPY', start: '2024-01-05T00:00:00Z', closes: [150.0, 150.1, 150.2, 150.3, 150.2] });
  const end = (i: number) => bars[i].ts + 60_000; // a target is stamped with the END of its bar
  const streak = upStreak({ id: 'up', symbol: 'USDJPY', bars: 2, contracts: 1 });

  it('goes long after two higher closes and flat on the first lower one', () => {
    marbles(({ cold, expectObservable }) => {
      const bars$ = cold('abcde|', lettersFor('abcde', bars));
      expectObservable(bars$.pipe(streak.decide)).toBe('--x-y|', {
        x: { ts: end(2), target: 1 },
        y: { ts: end(4), target: 0 },
      });
    });
  });

  it('ignores other symbols', () => {
    marbles(({ cold, expectObservable }) => {
      const eurusd = barSeries({ symbol: 'EURUSD', start: 0, closes: [1.1, 1.2, 1.3] });
      expectObservable(cold('abc|', lettersFor('abc', eurusd)).pipe(streak.decide)).toBe('---|');
    });
  });
});
