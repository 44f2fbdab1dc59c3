import { describe, expect, it } from '@jest/globals';
import { NEVER, Observable, of, take } from 'rxjs';
import type { Broker } from '../src/broker/types';
import { createSimBroker } from '../src/broker/simBroker';
import { loadContracts } from '../src/core/contracts';
import type { ExecutionEvent, Fill, Order, OrderEvent } from '../src/core/types';
import { marbles } from '../src/testkit/marbles';
import { route } from './route';
import { describeOperatorContract } from '../test/support/operatorContract';

const contracts = loadContracts();
const order = (id: string, qty = 100_000): Order => ({ id, strategyId: 's', symbol: 'USDJPY', ts: 1, side: 'BUY', qty, type: 'MARKET' });
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
});

function fakeBroker(events$: Observable<ExecutionEvent>, place: (o: Order) => void = () => undefined): Broker & { placed: Order[] } {
  const placed: Order[] = [];
  return {
    name: 'fake',
    events$,
    placed,
    place: (o) => {
      placed.push(o);
      place(o);
    },
    cancel: () => undefined,
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
      const decisions = cold('--A---R-----|', { A: decision('Accepted', a), R: refused });
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
    of(decision('Accepted', a))
      .pipe(route(sim))
      .subscribe((e) => out.push(e.kind === 'fill' ? 'fill' : e.status));
    expect(out).toEqual(['Accepted', 'Submitted']);
  });

  it('ends with the decisions by default: a working order stays working, nothing is invented', () => {
    marbles(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const events = hot('---s------f', { s: decision('Submitted', a), f: fill(a) });
      const decisions = cold('-A---|', { A: decision('Accepted', a) });
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
      const decisions = cold('-A-B-C-|', {
        A: decision('Accepted', a),
        B: decision('Accepted', b),
        C: decision('Accepted', order('s-4')),
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

  it('turns a place that throws into a Rejected event with reason BROKER', () => {
    const broker = fakeBroker(new Observable<ExecutionEvent>(), () => {
      throw new Error('not connected');
    });
    marbles(({ cold, expectObservable }) => {
      expectObservable(cold('-(A|)', { A: decision('Accepted', a) }).pipe(route(broker, { drain: true }))).toBe('-(AR|)', {
        A: decision('Accepted', a),
        R: { ...decision('Rejected', a), reason: 'BROKER', message: 'broker "fake" refused order s-1: not connected' },
      });
    });
  });

  it('sends no order for a decision its consumer left on', () => {
    const broker = fakeBroker(NEVER);
    const seen: ExecutionEvent[] = [];
    of(decision('Accepted', a))
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
describeOperatorContract<OrderEvent, ExecutionEvent>('route', {
  operator: () => route(fakeBroker(NEVER)),
  input: 'abc',
  values: { a: decision('Accepted', first), b: decision('Rejected', second), c: decision('Cancelled', first) },
  expected: 'ABC',
  outputs: { A: decision('Accepted', first), B: decision('Rejected', second), C: decision('Cancelled', first) },
});
