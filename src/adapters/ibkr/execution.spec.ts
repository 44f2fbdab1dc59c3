import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { ExecutionEvent, Fill, Order, OrderEvent } from '../../core/types';
import type { BrokerReport } from './brokerReports';
import { loadIbContracts } from './contracts';
import { createExecutionState, type ExecutionState, type ExecutionStateOptions } from './execution';
import type { IbMessage } from './messages';
import { orderRefOf } from './orderMapping';

/** The state machine fed TWS's messages directly: no socket, no client library. */

const contracts = loadIbContracts();
const T0 = Date.UTC(2024, 0, 5);
const USDJPY_IB = { symbol: 'USD', secType: 'CASH', currency: 'JPY', localSymbol: 'USD.JPY' };

interface Harness {
  readonly state: ExecutionState;
  readonly events: ExecutionEvent[];
  readonly reports: BrokerReport[];
}

function harness(options: Partial<ExecutionStateOptions> = {}): Harness {
  const events: ExecutionEvent[] = [];
  const reports: BrokerReport[] = [];
  const state = createExecutionState({
    contracts,
    clientId: 7,
    commissionTimeoutMs: 5000,
    recoverExecutionsSince: 0,
    twsTimeZone: 'UTC',
    now: () => T0,
    emit: (e) => events.push(e),
    report: (r) => reports.push(r),
    ...options,
  });
  return { state, events, reports };
}

const order = (id: string, qty = 100_000): Order => ({ id, strategyId: 'fix', symbol: 'USDJPY', ts: T0, side: 'BUY', qty, type: 'MARKET', reason: 'entry' });

const status = (orderId: number, s: string, filled = 0): IbMessage<'orderStatus'> => ({ orderId, status: s, filled, remaining: 0 });

function execution(o: Order, ibOrderId: number, execId: string, shares: number, price = 150): IbMessage<'execDetails'> {
  return {
    reqId: -1,
    contract: USDJPY_IB,
    execution: { orderId: ibOrderId, execId, time: '20240105 00:00:05 UTC', acctNumber: 'DU1', side: 'BOT', shares, price, clientId: 7, orderRef: orderRefOf(o) },
  };
}

const commission = (execId: string, amount: number, currency = 'JPY'): IbMessage<'commissionReport'> => ({ report: { execId, commission: amount, currency } });

/** `Submitted`, `fill 100000@150 (c=300)`… — what the engine saw, in order. */
function trace(events: readonly ExecutionEvent[]): string[] {
  return events.map((e) =>
    e.kind === 'fill' ? `fill ${(e as Fill).qty}@${(e as Fill).price} (c=${(e as Fill).commission})` : `${(e as OrderEvent).status}${(e as OrderEvent).filledQty ? ` ${(e as OrderEvent).filledQty}` : ''}`,
  );
}

afterEach(() => {
  jest.useRealTimers();
});

describe('the IB execution state machine', () => {
  it('emits a fill once its commission report is in, then Filled; a replayed execution is ignored', () => {
    const h = harness();
    const o = order('fix-1');
    h.state.sent(h.state.track(o), 11, 1);
    h.state.orderStatus(status(11, 'Submitted'));
    h.state.execDetails(execution(o, 11, 'e1.01', 100_000));
    expect(trace(h.events)).toEqual(['Submitted']);
    expect(h.state.awaitingCommission()).toBe(1);
    h.state.commissionReport(commission('e1.01', 2, 'USD'));
    h.state.execDetails(execution(o, 11, 'e1.01', 100_000));
    h.state.commissionReport(commission('e1.01', 2, 'USD'));
    expect(trace(h.events)).toEqual(['Submitted', 'fill 100000@150 (c=300)', 'Filled 100000']);
    expect(h.state.working()).toEqual([]);
  });

  it('applies a commission report that arrives before its execution', () => {
    const h = harness();
    const o = order('fix-1');
    h.state.sent(h.state.track(o), 11, 1);
    h.state.commissionReport(commission('e1.01', 250));
    h.state.execDetails(execution(o, 11, 'e1.01', 100_000));
    expect(trace(h.events)).toEqual(['fill 100000@150 (c=250)', 'Filled 100000']);
  });

  it('holds a Cancelled back until the fills TWS counted before it are emitted', () => {
    const h = harness();
    const o = order('fix-1', 200_000);
    h.state.sent(h.state.track(o), 11, 1);
    h.state.orderStatus(status(11, 'Submitted'));
    h.state.orderError(11, 202, 'Order Canceled - reason:');
    h.state.orderStatus(status(11, 'Cancelled', 100_000));
    expect(trace(h.events)).toEqual(['Submitted']);
    h.state.execDetails(execution(o, 11, 'e1.01', 100_000));
    h.state.commissionReport(commission('e1.01', 0));
    expect(trace(h.events)).toEqual(['Submitted', 'fill 100000@150 (c=0)', 'PartiallyFilled 100000', 'Cancelled 100000']);
    expect((h.events.at(-1) as OrderEvent).message).toBe('TWS 202: Order Canceled - reason:');
  });

  it('reports a correction of an execution instead of booking it twice, and skips execIds an earlier run booked', () => {
    const h = harness({ knownExecIds: ['e0.01'] });
    const o = order('fix-1', 200_000);
    h.state.sent(h.state.track(o), 11, 1);
    h.state.execDetails(execution(o, 11, 'e0.01', 100_000));
    h.state.execDetails(execution(o, 11, 'e0.02', 100_000, 151));
    h.state.execDetails(execution(o, 11, 'e1.01', 100_000));
    h.state.commissionReport(commission('e1.01', 0));
    expect(h.reports).toEqual([
      { kind: 'execution-correction', execId: 'e0.02', corrects: 'e0.01', qty: 100_000, price: 151 },
    ]);
    expect(trace(h.events)).toEqual(['fill 100000@150 (c=0)', 'PartiallyFilled 100000']);
  });

  it('books a fill with commission 0 when the report is late, and reports the report when it comes', () => {
    jest.useFakeTimers();
    const h = harness();
    const o = order('fix-1');
    h.state.sent(h.state.track(o), 11, 1);
    h.state.execDetails(execution(o, 11, 'e1.01', 100_000));
    jest.advanceTimersByTime(5000);
    h.state.commissionReport(commission('e1.01', 250));
    expect(trace(h.events)).toEqual(['fill 100000@150 (c=0)', 'Filled 100000']);
    expect(h.reports).toEqual([
      { kind: 'commission-timeout', execId: 'e1.01', orderId: 'fix-1' },
      { kind: 'late-commission', execId: 'e1.01', commission: 250, currency: 'JPY' },
    ]);
  });

  it('after a reconnection, rejects an order TWS never acknowledged and flags one it acknowledged but no longer lists', () => {
    const h = harness();
    const lost = h.state.track(order('fix-1'));
    const known = h.state.track(order('fix-2'));
    h.state.sent(lost, 11, 1);
    h.state.sent(known, 12, 1);
    h.state.orderStatus(status(12, 'Submitted'));
    h.state.settleUnlisted(2, new Set());
    expect(trace(h.events)).toEqual(['Submitted', 'Rejected']);
    expect(h.events[1]).toMatchObject({ order: { id: 'fix-1' }, reason: 'DISCONNECTED' });
    expect(h.reports).toEqual([{ kind: 'order-state-unknown', orderId: 'fix-2', ibOrderId: 12 }]);
  });

  it("adopts an earlier run's open order by its orderRef, as in flight (Submitted), and maps its fill to the strategy", () => {
    const h = harness();
    const earlier = order('fix-9');
    h.state.openOrder(
      { orderId: 40, contract: USDJPY_IB, order: { action: 'BUY', totalQuantity: 100_000, orderType: 'LMT', orderRef: orderRefOf(earlier) }, orderState: { status: 'Submitted' } },
      2,
    );
    expect(h.reports).toEqual([{ kind: 'adopted-order', orderId: 'fix-9', ibOrderId: 40 }]);
    expect(h.events).toEqual([expect.objectContaining({ kind: 'order', status: 'Submitted', order: expect.objectContaining({ id: 'fix-9', strategyId: 'fix', qty: 100_000 }) })]);
    // Counted as working, like the engine's own: the next decision does not double it.
    expect(h.state.working().map((o) => o.id)).toEqual(['fix-9']);
    h.state.execDetails(execution(earlier, 40, 'e9.01', 100_000));
    h.state.commissionReport(commission('e9.01', 0));
    expect(h.events.slice(1)).toEqual([
      { kind: 'fill', execId: 'e9.01', orderId: 'fix-9', strategyId: 'fix', symbol: 'USDJPY', ts: T0 + 5000, side: 'BUY', qty: 100_000, price: 150, commission: 0, reason: 'entry' },
      expect.objectContaining({ kind: 'order', status: 'Filled', filledQty: 100_000 }),
    ]);
    expect(h.state.working()).toEqual([]);
  });

  it("adopts a bracket child with its parent's id (from the id's suffix, or the parent's IB id)", () => {
    const h = harness();
    const stop = { ...order('fix-9.sl'), reason: 'stop' as const, type: 'STOP' as const, stopPrice: 149, side: 'SELL' as const };
    h.state.openOrder(
      { orderId: 41, contract: USDJPY_IB, order: { action: 'SELL', totalQuantity: 100_000, orderType: 'STP', auxPrice: 149, orderRef: orderRefOf(stop), parentId: 40 }, orderState: { status: 'PreSubmitted' } },
      2,
    );
    expect(h.state.get('fix-9.sl')?.order).toMatchObject({ id: 'fix-9.sl', parentId: 'fix-9', reason: 'stop', stopPrice: 149 });
    expect(h.state.get('fix-9.sl')?.parentIbId).toBe(40);
  });
});
