import type { Fill, Trade } from '../../src/core/types';

/** Test data builders for analyzer and report specs (not used by the engine). */

export const HOUR = 3_600_000;
export const T0 = Date.parse('2024-01-01T00:00:00Z');

export function makeTrade(overrides: Partial<Trade> & Pick<Trade, 'pnlNet'>): Trade {
  return {
    strategyId: 'leg',
    symbol: 'USDJPY',
    side: 'LONG',
    qty: 100_000,
    entryTs: T0,
    exitTs: T0 + HOUR,
    entryPrice: 150,
    exitPrice: 150,
    pnl: overrides.pnlNet,
    pnlNetAccount: overrides.pnlNet / 150,
    ...overrides,
  };
}

export function makeFill(overrides: Partial<Fill> = {}): Fill {
  return {
    kind: 'fill',
    execId: 'leg-1-x',
    orderId: 'leg-1',
    strategyId: 'leg',
    symbol: 'USDJPY',
    ts: T0,
    side: 'BUY',
    qty: 100_000,
    price: 150,
    commission: 0,
    ...overrides,
  };
}
