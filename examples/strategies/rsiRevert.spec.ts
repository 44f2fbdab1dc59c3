import { loadContracts } from '../../src/core/contracts';
import { barSeries, lettersFor, makeFill, marbles } from '../../src/testkit';
import rsiRevert from './rsiRevert';

const USDJPY = loadContracts().USDJPY;

describe('rsiRevert', () => {
  // RSI(2) of these closes: —, —, 0 (two falls), 33.3, 60.0
  const bars = barSeries({ symbol: 'USDJPY', start: '2024-01-05T00:00:00Z', closes: [150.0, 149.99, 149.98, 149.985, 149.99] });
  const end = (i: number) => bars[i].ts + 60_000; // decisions are stamped with the END of their bar
  const strategy = rsiRevert.create({ id: 'rsi', symbol: 'USDJPY', params: { period: 2, breakEvenTicks: 5 }, contract: USDJPY });

  it('goes long below 30, moves its stop to the entry once 5 ticks ahead, and is flat again at 50', () => {
    // f: its entry fills at the open of bar d (149.980), delivered before bar d closes.
    const fill = makeFill({ ts: bars[3].ts, side: 'BUY', price: 149.98 });
    marbles(({ cold, expectObservable }) => {
      const input$ = cold('abcfde|', { ...lettersFor('abcde', bars), f: fill });
      expectObservable(input$.pipe(strategy.decide)).toBe('--x-yz|', {
        x: { ts: end(2), target: 1, reason: 'rsi 0.0' },
        y: { kind: 'modify', ts: end(3), clientId: 'stopLoss', stopPrice: 149.98 },
        z: { ts: end(4), target: 0, reason: 'rsi 60.0' },
      });
    });
  });

  it('needs its period + 1 bars of history, and checks its params', () => {
    expect(strategy.warmup).toEqual({ bars: 3 });
    expect(() => rsiRevert.create({ id: 'rsi', symbol: 'USDJPY', params: { period: 1 }, contract: USDJPY })).toThrow(/params\.period: .*>=2/);
    expect(() => rsiRevert.create({ id: 'rsi', symbol: 'USDJPY', params: { lower: 80, upper: 20 }, contract: USDJPY })).toThrow('params.lower: lower must be below upper');
  });
});
