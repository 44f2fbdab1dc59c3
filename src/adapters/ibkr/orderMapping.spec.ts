import { describe, expect, it } from '@jest/globals';
import type { ContractSpec, Order } from '../../core/types';
import { loadIbContracts } from './contracts';
import {
  commissionInQuote,
  engineOrderType,
  IB_STATUS_MEANING,
  ibOrderOf,
  ibStatusMeaning,
  orderErrorMeaning,
  orderProblem,
  orderRefOf,
  parseExecutionTime,
  parseOrderRef,
} from './orderMapping';

const USDJPY = loadIbContracts().USDJPY;
const ES: ContractSpec = { symbol: 'ES', secType: 'FUT', baseCurrency: 'USD', quoteCurrency: 'USD', multiplier: 50, tickSize: 0.25, exchange: 'CME' };
const order = (o: Partial<Order> = {}): Order => ({ id: 'fix-1', strategyId: 'fix', symbol: 'USDJPY', ts: 0, side: 'BUY', qty: 100_000, type: 'MARKET', ...o });
const settings = { timeInForce: 'GTC', account: 'DU1' } as const;

describe('engine order → IB order', () => {
  it('maps market, limit and stop orders with their one price, our ids in orderRef and the account', () => {
    expect(ibOrderOf(order(), USDJPY, settings)).toEqual({
      action: 'BUY', totalQuantity: 100_000, orderType: 'MKT', tif: 'GTC', orderRef: 'rx:fix:fix-1', transmit: true, account: 'DU1',
    });
    expect(ibOrderOf(order({ side: 'SELL', type: 'LIMIT', limitPrice: 150.25 }), USDJPY, settings)).toMatchObject({ action: 'SELL', orderType: 'LMT', lmtPrice: 150.25 });
    const stop = ibOrderOf(order({ type: 'STOP', stopPrice: 149.5 }), USDJPY, { timeInForce: 'DAY', account: undefined });
    expect(stop).toMatchObject({ orderType: 'STP', auxPrice: 149.5, tif: 'DAY' });
    expect(stop).not.toHaveProperty('lmtPrice');
    expect(stop).not.toHaveProperty('account');
  });

  it('sends futures in contracts and the rest in units', () => {
    expect(ibOrderOf(order({ symbol: 'ES', qty: 150 }), ES, settings).totalQuantity).toBe(3);
    expect(orderProblem(order({ symbol: 'ES', qty: 75 }), ES)).toBe('75 units of ES is not a whole number of IB contracts (50 units each)');
  });

  it('refuses a limit or stop order without its price', () => {
    expect(orderProblem(order({ type: 'LIMIT' }), USDJPY)).toBe('LIMIT order without a positive limitPrice');
    expect(orderProblem(order({ type: 'STOP', stopPrice: 0 }), USDJPY)).toBe('STOP order without a positive stopPrice');
    expect(orderProblem(order({ type: 'LIMIT', limitPrice: 150 }), USDJPY)).toBeUndefined();
  });

  it('reads back the order types it sends; any other IB type reads as MARKET', () => {
    expect(['MKT', 'LMT', 'STP', 'STP LMT'].map(engineOrderType)).toEqual(['MARKET', 'LIMIT', 'STOP', 'MARKET']);
  });
});

describe('IB status and errors → what they mean for the order', () => {
  it('gives every IB order status a meaning; an unknown one changes nothing', () => {
    expect(IB_STATUS_MEANING).toEqual({
      ApiPending: 'pending', PendingSubmit: 'pending', PendingCancel: 'pending', Unknown: 'pending',
      PreSubmitted: 'acknowledged', Submitted: 'acknowledged',
      Cancelled: 'cancelled', ApiCancelled: 'cancelled',
      Inactive: 'inactive', Filled: 'filled',
    });
    expect(ibStatusMeaning('SomethingNew')).toBe('pending');
  });

  it('tells failed cancels, the reason of a cancel, notices and rejections apart', () => {
    expect([161, 10147, 10148, 10149].map(orderErrorMeaning)).toEqual(['cancel-failed', 'cancel-failed', 'cancel-failed', 'cancel-failed']);
    expect(orderErrorMeaning(202)).toBe('cancel-reason');
    expect([399, 404, 434, 2109, 2148, 2150, 10167, 10300].map(orderErrorMeaning)).toEqual(Array(8).fill('warning'));
    expect([103, 110, 201, 321].map(orderErrorMeaning)).toEqual(Array(4).fill('rejection'));
  });

  it('books a commission in the quote currency, converting one in the base currency at the fill price', () => {
    expect(commissionInQuote(2, 'JPY', 150, USDJPY)).toBe(2);
    expect(commissionInQuote(2, '', 150, USDJPY)).toBe(2);
    expect(commissionInQuote(2, 'USD', 150, USDJPY)).toBe(300);
    expect(commissionInQuote(2, 'EUR', 150, USDJPY)).toBeUndefined();
  });
});

describe('orderRef and execution time', () => {
  it('round-trips strategy and order ids through orderRef, whatever characters they hold', () => {
    const ref = orderRefOf({ strategyId: 'gotobi:a/b', id: 'gotobi:a/b-1' });
    expect(ref).toBe('rx:gotobi%3Aa%2Fb:gotobi%3Aa%2Fb-1');
    expect(parseOrderRef(ref)).toEqual({ strategyId: 'gotobi:a/b', orderId: 'gotobi:a/b-1' });
    expect(parseOrderRef('manual order')).toBeUndefined();
  });

  it('reads TWS execution times in the zone they name, or the default one', () => {
    expect(parseExecutionTime('20240105 09:30:00 US/Eastern', 'UTC')).toBe(Date.UTC(2024, 0, 5, 14, 30));
    expect(parseExecutionTime('20240705  09:30:00', 'America/New_York')).toBe(Date.UTC(2024, 6, 5, 13, 30));
    expect(parseExecutionTime('20240105-09:30:00', 'UTC')).toBe(Date.UTC(2024, 0, 5, 9, 30));
    expect(parseExecutionTime('2024-01-05 09:30', 'UTC')).toBeUndefined();
    expect(parseExecutionTime('20240105 09:30:00 Mars/Olympus', 'UTC')).toBeUndefined();
  });
});

