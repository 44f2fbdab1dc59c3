import { contractFor, loadContracts, parseContracts, unitsOf } from './contracts';

describe('contracts', () => {
  it('loads the shipped contracts with 100k-unit FX lots', () => {
    const book = loadContracts();
    for (const s of ['USDJPY', 'EURUSD', 'GBPUSD', 'AUDUSD', 'EURJPY', 'USDCHF', 'USDCAD']) {
      const spec = contractFor(book, s);
      expect(spec).toMatchObject({ symbol: s, secType: 'CASH', multiplier: 100_000, exchange: 'IDEALPRO' });
    }
    expect(unitsOf(contractFor(book, 'USDJPY'), 2)).toBe(200_000);
  });

  it('names the key and the rule on bad input', () => {
    const bad = { USDJPY: { ...loadContracts().USDJPY, multiplier: -1 } };
    expect(() => parseContracts(bad, 'x.json')).toThrow(/x\.json: USDJPY\.multiplier: .*(>0|positive|greater)/i);
    expect(() => parseContracts({ EURUSD: { secType: 'CASH' } }, 'y.json')).toThrow(/y\.json: EURUSD\.baseCurrency/);
  });

  it('leaves venue blocks to their adapters, but a field that is neither is an error', () => {
    const entry = { secType: 'CASH', baseCurrency: 'USD', quoteCurrency: 'JPY', multiplier: 100_000, tickSize: 0.001, exchange: 'IDEALPRO' };
    const book = parseContracts({ USDJPY: { ...entry, ib: { anything: 1 }, ctrader: { symbolId: 4 } } });
    expect(book.USDJPY).toEqual({ symbol: 'USDJPY', ...entry });
    expect(() => parseContracts({ USDJPY: { ...entry, multipler: 100_000 } }, 'z.json')).toThrow(/^z\.json: USDJPY\.multipler: not a contract field/);
  });

  it('lists the known symbols for an unknown one', () => {
    expect(() => contractFor(loadContracts(), 'XAUUSD')).toThrow(/unknown symbol "XAUUSD".*USDJPY/);
  });
});
