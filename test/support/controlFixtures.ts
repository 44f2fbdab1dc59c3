import type { Fill, Order, OrderEvent, Position } from '../../src/core/types';

/** Small builders of engine events for the control-surface specs. */

export const T0 = Date.UTC(2024, 0, 5, 0, 0, 0);

export function makeOrder(overrides: Partial<Order> = {}): Order {
  return {
    id: 'gotobi-a-1',
    strategyId: 'gotobi-a',
    symbol: 'USDJPY',
    ts: T0,
    side: 'BUY',
    qty: 100_000,
    type: 'MARKET',
    ...overrides,
  };
}

export function makeOrderEvent(overrides: Partial<OrderEvent> = {}): OrderEvent {
  return { kind: 'order', status: 'Accepted', order: makeOrder(), ts: T0, ...overrides };
}

export function makeFill(overrides: Partial<Fill> = {}): Fill {
  return {
    kind: 'fill',
    execId: 'x-1',
    orderId: 'gotobi-a-1',
    strategyId: 'gotobi-a',
    symbol: 'USDJPY',
    ts: T0 + 60_000,
    side: 'BUY',
    qty: 100_000,
    price: 150.25,
    commission: 0,
    ...overrides,
  };
}

export function makePosition(overrides: Partial<Position> = {}): Position {
  return {
    strategyId: 'gotobi-a',
    symbol: 'USDJPY',
    ts: T0 + 60_000,
    qty: 100_000,
    avgPrice: 150.25,
    realizedPnl: 0,
    unrealizedPnl: 0,
    realizedPnlAccount: 0,
    unrealizedPnlAccount: 0,
    commission: 0,
    ...overrides,
  };
}
