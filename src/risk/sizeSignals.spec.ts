import { describe, it } from '@jest/globals';
import { loadContracts } from '../core/contracts';
import type { Signal } from '../core/types';
import { createBook } from '../portfolio/book';
import { makeBar, marbles } from '../testkit/marbles';
import { sizeSignals } from './sizeSignals';
import { createSizer } from './sizers';

const contracts = loadContracts();
const signal = (target: number): Signal => ({ strategyId: 's', symbol: 'USDJPY', ts: 1, target });

describe('sizeSignals', () => {
  it('replaces the magnitude of each target, keeping the sign and the rest of the signal', () => {
    const book = createBook({ contracts, accountCurrency: 'USD', initialCash: 0 });
    book.mark(makeBar({ symbol: 'USDJPY', ts: 0, close: 150 }));
    const size = createSizer({ type: 'fixed', contracts: 2 }, book, contracts);
    marbles(({ cold, expectObservable }) => {
      const input = cold('-a-b-c|', { a: signal(1), b: signal(0), c: signal(-3) });
      expectObservable(input.pipe(sizeSignals(size))).toBe('-a-b-c|', { a: signal(2), b: signal(0), c: signal(-2) });
    });
  });
});
