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
const order = (o: Partial<Order> = {}): Order => ({ id: 'fix-1', strategyId: 'fix', symbol: 'USDJPY', ts: 0, side: 'BUY', qty: 100_000, type: 'MARKET', reason: 'entry', ...o });
const settings = { account: 'DU1', transmit: true } as const;

describe('engine order → IB order', () => {
  it('maps market, limit and stop orders with their one price, our ids and reason in orderRef and the account', () => {
    expect(ibOrderOf(order(), USDJPY, settings)).toEqual({
      action: 'BUY', totalQuantity: 100_000, orderType: 'MKT', tif: 'GTC', orderRef: 'rx:fix:fix-1:entry', transmit: true, account: 'DU1',
    });
    expect(ibOrderOf(order({ side: 'SELL', type: 'LIMIT', limitPrice: 150.25 }), USDJPY, settings)).toMatchObject({ action: 'SELL', orderType: 'LMT', lmtPrice: 150.25 });
    const stop = ibOrderOf(order({ type: 'STOP', stopPrice: 149.5 }), USDJPY, { account: undefined, transmit: true });
    expect(stop).toMatchObject({ orderType: 'STP', auxPrice: 149.5, tif: 'GTC' });
    expect(stop).not.toHaveProperty('lmtPrice');
    expect(stop).not.toHaveProperty('account');
  });

  it('maps STOP_LIMIT to STP LMT and TRAILING to TRAIL with its initial stop and distance', () => {
    expect(ibOrderOf(order({ type: 'STOP_LIMIT', stopPrice: 150.02, limitPrice: 150.04 }), USDJPY, settings)).toMatchObject({
      orderType: 'STP LMT', auxPrice: 150.02, lmtPrice: 150.04,
    });
    const trailTicks = ibOrderOf(order({ side: 'SELL', type: 'TRAILING', stopPrice: 149.98, trail: { ticks: 20 }, reason: 'trailingStop' }), USDJPY, settings);
    expect(trailTicks).toMatchObject({ orderType: 'TRAIL', trailStopPrice: 149.98, auxPrice: 0.02, orderRef: 'rx:fix:fix-1:trailingStop' });
    const trailPercent = ibOrderOf(order({ side: 'SELL', type: 'TRAILING', stopPrice: 149.98, trail: { percent: 0.5 } }), USDJPY, settings);
    expect(trailPercent).toMatchObject({ orderType: 'TRAIL', trailStopPrice: 149.98, trailingPercent: 0.5 });
    expect(trailPercent).not.toHaveProperty('auxPrice');
  });

  it('maps time in force: GTC and IOC as they are, DAY and GTD as GTD until the order\'s expiry', () => {
    const expiresAt = Date.UTC(2024, 0, 5, 22);
    expect(ibOrderOf(order({ tif: 'IOC' }), USDJPY, settings).tif).toBe('IOC');
    for (const tif of [{ type: 'DAY', end: '17:00', zone: 'America/New_York' }, { type: 'GTD', until: expiresAt }] as const) {
      expect(ibOrderOf(order({ type: 'LIMIT', limitPrice: 150, tif, expiresAt }), USDJPY, settings)).toMatchObject({ tif: 'GTD', goodTillDate: '20240105 22:00:00 UTC' });
    }
  });

  it('sends a protective child under its parent\'s IB id, in its OCA group (type 1), transmitted as told', () => {
    const child = order({ id: 'fix-1.sl', side: 'SELL', type: 'STOP', stopPrice: 149.98, reason: 'stop', parentId: 'fix-1', ocaGroup: 'fix-1' });
    expect(ibOrderOf(child, USDJPY, { account: 'DU1', parentIbId: 41, transmit: false })).toMatchObject({
      parentId: 41, ocaGroup: 'fix-1', ocaType: 1, transmit: false, orderRef: 'rx:fix:fix-1.sl:stop',
    });
  });

  it('sends futures in contracts and the rest in units', () => {
    expect(ibOrderOf(order({ symbol: 'ES', qty: 150 }), ES, settings).totalQuantity).toBe(3);
    expect(orderProblem(order({ symbol: 'ES', qty: 75 }), ES)).toBe('75 units of ES is not a whole number of IB contracts (50 units each)');
  });

  it('refuses an order without the prices its type needs', () => {
    expect(orderProblem(order({ type: 'LIMIT' }), USDJPY)).toBe('a LIMIT order needs limitPrice > 0');
    expect(orderProblem(order({ type: 'STOP', stopPrice: 0 }), USDJPY)).toBe('a STOP order needs stopPrice > 0');
    expect(orderProblem(order({ type: 'TRAILING', stopPrice: 149 }), USDJPY)).toBe('a TRAILING order needs trail { ticks } or { percent }');
    expect(orderProblem(order({ type: 'LIMIT', limitPrice: 150 }), USDJPY)).toBeUndefined();
  });

  it('reads back the order types it sends; any other IB type reads as MARKET', () => {
    expect(['MKT', 'LMT', 'STP', 'STP LMT', 'TRAIL', 'MOC'].map(engineOrderType)).toEqual(['MARKET', 'LIMIT', 'STOP', 'STOP_LIMIT', 'TRAILING', 'MARKET']);
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
    const ref = orderRefOf({ strategyId: 'gotobi:a/b', id: 'gotobi:a/b-1', reason: 'stop' });
    expect(ref).toBe('rx:gotobi%3Aa%2Fb:gotobi%3Aa%2Fb-1:stop');
    expect(parseOrderRef(ref)).toEqual({ strategyId: 'gotobi:a/b', orderId: 'gotobi:a/b-1', reason: 'stop' });
    expect(parseOrderRef('manual order')).toBeUndefined();
    expect(parseOrderRef('rx:a:a-1:why')).toBeUndefined();
  });

  it('reads TWS execution times in the zone they name, or the default one', () => {
    expect(parseExecutionTime('20240105 09:30:00 US/Eastern', 'UTC')).toBe(Date.UTC(2024, 0, 5, 14, 30));
    expect(parseExecutionTime('20240705  09:30:00', 'America/New_York')).toBe(Date.UTC(2024, 6, 5, 13, 30));
    expect(parseExecutionTime('20240105-09:30:00', 'UTC')).toBe(Date.UTC(2024, 0, 5, 9, 30));
    expect(parseExecutionTime('2024-01-05 09:30', 'UTC')).toBeUndefined();
    expect(parseExecutionTime('20240105 09:30:00 Mars/Olympus', 'UTC')).toBeUndefined();
  });
});

