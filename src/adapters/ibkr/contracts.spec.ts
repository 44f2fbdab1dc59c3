import { describe, expect, it } from '@jest/globals';
import { contractFor, DEFAULT_CONTRACTS_PATH } from '../../core/contracts';
import { readJsonFile } from '../../core/configFile';
import { describeIbContract, ibContractOf, loadIbContracts, parseIbContracts, symbolResolver } from './contracts';

const shipped = readJsonFile(DEFAULT_CONTRACTS_PATH) as Record<string, Record<string, unknown>>;

describe('IB contract mapping', () => {
  it('reads the ib block of every shipped contract: FX as CASH on IDEALPRO, base.quote', () => {
    const book = loadIbContracts();
    for (const s of ['USDJPY', 'EURUSD', 'GBPUSD', 'AUDUSD', 'EURJPY', 'USDCHF', 'USDCAD']) {
      const spec = contractFor(book, s);
      expect(spec).toMatchObject({ symbol: s, secType: 'CASH', multiplier: 100_000 });
      expect(spec.ib).toEqual({ secType: 'CASH', exchange: 'IDEALPRO', symbol: spec.baseCurrency, currency: spec.quoteCurrency, localSymbol: `${spec.baseCurrency}.${spec.quoteCurrency}` });
    }
    expect(ibContractOf(book.USDJPY)).toEqual({ symbol: 'USD', secType: 'CASH', exchange: 'IDEALPRO', currency: 'JPY', localSymbol: 'USD.JPY' });
  });

  it('names the contract, the ib block and the field on a bad or missing block', () => {
    const badField = { ...shipped, USDJPY: { ...shipped.USDJPY, ib: { ...(shipped.USDJPY.ib as object), secType: 'FOREX' } } };
    expect(() => parseIbContracts(badField, 'c.json')).toThrow(/^c\.json: USDJPY\.ib\.secType: /);
    const unknownField = { ...shipped, USDJPY: { ...shipped.USDJPY, ib: { ...(shipped.USDJPY.ib as object), conid: 15016059 } } };
    expect(() => parseIbContracts(unknownField, 'c.json')).toThrow(/^c\.json: USDJPY\.ib: .*conid/);
    const { ib: _dropped, ...withoutIb } = shipped.EURUSD;
    expect(() => parseIbContracts({ ...shipped, EURUSD: withoutIb }, 'c.json')).toThrow(/^c\.json: EURUSD\.ib: /);
  });

  it('finds our symbol for a contract TWS names, by localSymbol or by symbol, type and currency', () => {
    const resolve = symbolResolver(loadIbContracts());
    expect(resolve({ symbol: 'USD', secType: 'CASH', currency: 'JPY', localSymbol: 'USD.JPY' })).toBe('USDJPY');
    expect(resolve({ symbol: 'EUR', secType: 'CASH', currency: 'USD' })).toBe('EURUSD');
    expect(resolve({ symbol: 'EUR', secType: 'STK', currency: 'USD' })).toBeUndefined();
    expect(describeIbContract({ symbol: 'EUR', secType: 'CASH', currency: 'USD' })).toBe('EUR.USD (CASH)');
  });
});
