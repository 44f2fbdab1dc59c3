import { describe, expect, it } from '@jest/globals';
import { loadContracts } from '../core/contracts';
import type { Signal } from '../core/types';
import { createBook } from '../portfolio/book';
import { makeBar } from '../testkit/marbles';
import { createSizer, parseSizerConfig } from './sizers';

const contracts = loadContracts();
const signal = (target: number, symbol = 'USDJPY'): Signal => ({ strategyId: 's', symbol, ts: 1, target });

function usdBook(cash: number) {
  const book = createBook({ contracts, accountCurrency: 'USD', initialCash: cash });
  book.mark(makeBar({ symbol: 'USDJPY', ts: 0, close: 150 }));
  book.mark(makeBar({ symbol: 'EURUSD', ts: 0, close: 1.25 }));
  return book;
}

describe('sizers', () => {
  it('fixed: n contracts in the direction of the target', () => {
    const size = createSizer({ type: 'fixed', contracts: 3 }, usdBook(0), contracts);
    expect([size(signal(1)), size(signal(-0.2)), size(signal(0))]).toEqual([3, -3, 0]);
  });

  it('percentOfEquity: the most whole steps whose account-currency notional fits the budget', () => {
    const book = usdBook(1_000_000);
    const quarter = createSizer({ type: 'percentOfEquity', percent: 25 }, book, contracts);
    // USDJPY: 100,000 USD a contract; 250,000 USD budget → 2 (2.5 rounded down)
    expect(quarter(signal(1))).toBe(2);
    // EURUSD at 1.25: 125,000 USD a contract; 250,000 → exactly 2
    expect(quarter(signal(-1, 'EURUSD'))).toBe(-2);
    expect(quarter(signal(0))).toBe(0);
    const halves = createSizer({ type: 'percentOfEquity', percent: 25, step: 0.5 }, book, contracts);
    expect(halves(signal(1))).toBe(2.5);
    const tiny = createSizer({ type: 'percentOfEquity', percent: 1 }, book, contracts);
    expect(tiny(signal(1))).toBe(0);
  });

  it('validates the config, naming the field', () => {
    expect(parseSizerConfig({ type: 'fixed', contracts: 1 })).toEqual({ type: 'fixed', contracts: 1 });
    expect(() => parseSizerConfig({ type: 'fixed', contracts: 0 })).toThrow(/sizer: contracts: /);
    expect(() => parseSizerConfig({ type: 'kelly' })).toThrow(/sizer: type: /);
    expect(() => parseSizerConfig({ type: 'percentOfEquity', percent: 10, stepp: 1 })).toThrow(/stepp/);
  });
});
