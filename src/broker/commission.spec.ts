import { describe, expect, it } from '@jest/globals';
import { parseContracts } from '../core/contracts';
import { ConfigError } from '../core/errors';
import { commissionModel, parseCommissionConfig, zeroCommission } from './commission';

const contracts = parseContracts({
  USDJPY: {
    secType: 'CASH',
    baseCurrency: 'USD',
    quoteCurrency: 'JPY',
    multiplier: 100000,
    tickSize: 0.001,
    exchange: 'IDEALPRO',
    ib: { symbol: 'USD', secType: 'CASH', exchange: 'IDEALPRO', currency: 'JPY' },
  },
});
const usdjpy = contracts.USDJPY;

describe('commission models (quote currency)', () => {
  it('is zero by default', () => {
    expect(commissionModel()).toBe(zeroCommission);
    expect(commissionModel({})(200_000, 150, usdjpy)).toBe(0);
  });

  it('charges per unit', () => {
    // 0.0005 JPY a unit on 200,000 units = 100 JPY
    expect(commissionModel({ perUnit: 0.0005 })(200_000, 150, usdjpy)).toBeCloseTo(100, 9);
  });

  it('charges per contract (units / multiplier)', () => {
    expect(commissionModel({ perContract: 250 })(200_000, 150, usdjpy)).toBe(500);
    expect(commissionModel({ perContract: 250 })(50_000, 150, usdjpy)).toBe(125);
  });

  it('charges basis points of the quote-currency notional', () => {
    // 100,000 × 150 = 15,000,000 JPY; 0.2 bp = 300 JPY
    expect(commissionModel({ bps: 0.2 })(100_000, 150, usdjpy)).toBeCloseTo(300, 9);
  });

  it('adds the parts, then applies the minimum per fill', () => {
    const model = commissionModel({ perContract: 100, bps: 1, minimum: 2000 });
    // 100 + 1,500 = 1,600 < 2,000
    expect(model(100_000, 150, usdjpy)).toBeCloseTo(2000, 9);
    // 300 + 4,500 = 4,800 > 2,000
    expect(model(300_000, 150, usdjpy)).toBeCloseTo(4800, 9);
  });

  it('rejects a bad config naming the field and the rule', () => {
    expect(() => parseCommissionConfig({ bps: -1 })).toThrow(ConfigError);
    expect(() => parseCommissionConfig({ bps: -1 })).toThrow(/broker\.commission: bps: .*>=0/);
    expect(() => parseCommissionConfig({ perTrade: 1 })).toThrow(/perTrade/);
    expect(parseCommissionConfig({ perUnit: 0.1, minimum: 2 })).toEqual({ perUnit: 0.1, minimum: 2 });
  });
});
