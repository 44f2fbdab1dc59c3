import { describe, expect, it } from '@jest/globals';
import { from, NEVER, Observable, of, take } from 'rxjs';
import type { Broker } from '../src/broker/types';
import { createSimBroker } from '../src/broker/simBroker';
import { loadContracts } from '../src/core/contracts';
import type { ExecutionEvent, Fill, Order, OrderEvent } from '../src/core/types';
import { marbles } from '../src/testkit/marbles';
import type { PlaceCommand } from '../src/portfolio/orders';
import type { RoutedCommand } from './riskGate';
import { route } from './route';
import { describeOperatorContract } from '../test/support/operatorContract';

const contracts = loadContracts();
const order = (id: string, qty = 100_000): Order => ({ id, strategyId: 's', symbol: 'USDJPY', ts: 1, side: 'BUY', qty, type: 'MARKET', reason: 'entry' });
const decision = (status: OrderEvent['status'], o: Order): OrderEvent => ({ kind: 'order', status, order: o, ts: o.ts });
const fill = (o: Order, qty = o.qty): Fill => ({
  kind: 'fill',
  execId: `${o.id}.${qty}`,
  orderId: o.id,
  strategyId: o.strategyId,
  symbol: o.symbol,
  ts: 2,
  side: o.side,
  qty,
  price: 150,
  commission: 0,
  reason: o.reason,
});

const place = (o: Order, children: readonly Order[] = []): PlaceCommand => ({ kind: 'place', order: o, children, cancelFirst: [] });

function fakeBroker(events$: Observable<ExecutionEvent>, onPlace: (o: Order) => void = () => undefined): Broker & { placed: Order[]; calls: string[] } {
  const placed: Order[] = [];
  const calls: string[] = [];
  return {
    name: 'fake',
    events$,
    placed,
    calls,
    place: (o, children = []) => {
      placed.push(o);
      calls.push(`place ${o.id}${children.map((c) => ` +${c.id}`).join('')}`);
      onPlace(o);
    },
    cancel: (orderId, reason) => calls.push(`cancel ${orderId} ${reason ?? ''}`),
    modify: (o) => calls.push(`modify ${o.id} ${o.stopPrice ?? ''}`),
  };
}

describe('route', () => {
  const a = order('s-1');
  const r = order('s-2');

  it('places accepted orders, passes decisions on and merges broker events as they happen', () => {
    let broker: ReturnType<typeof fakeBroker> | undefined;
    marbles(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const events = hot('----s---f-F--', { s: decision('Submitted', a), f: fill(a), F: decision('Filled', a) });
      broker = fakeBroker(events);
      const refused: OrderEvent = { ...decision('Rejected', r), reason: 'MAX_POSITION' };
      const decisions = cold('--AP--R-----|', { A: decision('Accepted', a), P: place(a), R: refused });
      expectObservable(decisions.pipe(route(broker))).toBe('--A-s-R-f-F-|', {
        A: decision('Accepted', a),
        s: decision('Submitted', a),
        R: { ...decision('Rejected', r), reason: 'MAX_POSITION' },
        f: fill(a),
        F: decision('Filled', a),
      });
      expectSubscriptions(events.subscriptions).toBe('^-----------!');
    });
    expect(broker?.placed).toEqual([a]);
  });

  it('subscribes the broker first, so events emitted synchronously inside place are not missed', () => {
    const sim = createSimBroker({ contracts });
    const out: string[] = [];
    of(decision('Accepted', a), place(a))
      .pipe(route(sim))
      .subscribe((e) => out.push(e.kind === 'fill' ? 'fill' : e.status));
    expect(out).toEqual(['Accepted', 'Submitted']);
  });

  it('ends with the decisions by default: a working order stays working, nothing is invented', () => {
    marbles(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const events = hot('---s------f', { s: decision('Submitted', a), f: fill(a) });
      const decisions = cold('-AP--|', { A: decision('Accepted', a), P: place(a) });
      expectObservable(decisions.pipe(route(fakeBroker(events)))).toBe('-A-s-|', {
        A: decision('Accepted', a),
        s: decision('Submitted', a),
      });
      expectSubscriptions(events.subscriptions).toBe('^----!');
    });
  });

  it('drain: keeps forwarding until every placed order is filled in full or cancelled', () => {
    const b = order('s-3', 300_000);
    marbles(({ cold, hot, expectObservable }) => {
      const events = hot('---------f--g--h--c---', {
        f: fill(b, 100_000),
        g: fill(b, 200_000),
        h: fill(a, 100_000),
        c: decision('Cancelled', order('s-4')),
      });
      const decisions = cold('-APBQCR|', {
        A: decision('Accepted', a),
        P: place(a),
        B: decision('Accepted', b),
        Q: place(b),
        C: decision('Accepted', order('s-4')),
        R: place(order('s-4')),
      });
      expectObservable(decisions.pipe(route(fakeBroker(events), { drain: true }))).toBe('-A-B-C---f--g--h--(c|)', {
        A: decision('Accepted', a),
        B: decision('Accepted', b),
        C: decision('Accepted', order('s-4')),
        f: fill(b, 100_000),
        g: fill(b, 200_000),
        h: fill(a, 100_000),
        c: decision('Cancelled', order('s-4')),
      });
    });
  });

  it('turns a place that throws into a Rejected event with reason BROKER, for the order and its children', () => {
    const broker = fakeBroker(new Observable<ExecutionEvent>(), () => {
      throw new Error('not connected');
    });
    const child = { ...order('s-1.sl'), side: 'SELL', type: 'STOP', stopPrice: 149, reason: 'stop', parentId: 's-1' } as const;
    const message = 'broker "fake" refused order s-1: not connected';
    marbles(({ cold, expectObservable }) => {
      expectObservable(cold('-(AP|)', { A: decision('Accepted', a), P: place(a, [child]) }).pipe(route(broker, { drain: true }))).toBe('-(ARS|)', {
        A: decision('Accepted', a),
        R: { ...decision('Rejected', a), reason: 'BROKER', message },
        S: { ...decision('Rejected', child), reason: 'BROKER', message },
      });
    });
  });

  it('sends the order with its children, cancels with their reason and modifications to the broker', () => {
    const broker = fakeBroker(NEVER);
    const child = { ...order('s-1.sl'), side: 'SELL', type: 'STOP', stopPrice: 149, reason: 'stop', parentId: 's-1' } as const;
    const commands: RoutedCommand[] = [
      place(a, [child]),
      { kind: 'modify', order: { ...child, stopPrice: 149.5 } },
      { kind: 'cancel', orderId: 's-1.sl', strategyId: 's', symbol: 'USDJPY', ts: 1, reason: 'TARGET_CHANGED' },
    ];
    from(commands)
      .pipe(route(broker))
      .subscribe();
    expect(broker.calls).toEqual(['place s-1 +s-1.sl', 'modify s-1.sl 149.5', 'cancel s-1.sl TARGET_CHANGED']);
  });

  it('sends no order for a decision its consumer left on', () => {
    const broker = fakeBroker(NEVER);
    const seen: ExecutionEvent[] = [];
    of(decision('Accepted', a), place(a))
      .pipe(route(broker), take(1))
      .subscribe((e) => seen.push(e));
    expect(seen).toEqual([decision('Accepted', a)]);
    expect(broker.placed).toEqual([]);
  });

  it('errors when the broker errors, or stops reporting while orders can still be placed', () => {
    marbles(({ cold, hot, expectObservable }) => {
      const failing = hot<ExecutionEvent>('--#', undefined, new Error('socket closed'));
      expectObservable(cold<OrderEvent>('-----|').pipe(route(fakeBroker(failing)))).toBe('--#', undefined, new Error('socket closed'));
      const ending = hot<ExecutionEvent>('--|');
      expectObservable(cold<OrderEvent>('-----|').pipe(route(fakeBroker(ending)))).toBe(
        '--#',
        undefined,
        new Error('broker "fake" stopped reporting (events$ completed) while orders can still be placed'),
      );
    });
  });
});

const [first, second] = [order('c-1'), order('c-2')];
describeOperatorContract<RoutedCommand, ExecutionEvent>('route', {
  operator: () => route(fakeBroker(NEVER)),
  input: 'abc',
  values: { a: decision('Accepted', first), b: decision('Rejected', second), c: decision('Cancelled', first) },
  expected: 'ABC',
  outputs: { A: decision('Accepted', first), B: decision('Rejected', second), C: decision('Cancelled', first) },
});
