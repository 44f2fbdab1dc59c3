import { Subject } from 'rxjs';
import { liveOptions, tempJournal, testEvent, testFill, testOrder } from '../../test/support/journalFixtures';
import type { Broker } from '../broker/types';
import type { ExecutionEvent, Order } from '../core/types';
import type { GraphEvent } from '../runner/graph';
import { makeBar } from '../testkit/marbles';
import { openJournal } from './journal';
import { JournalError } from './journalError';
import { readJournal } from './reader';
import { recordGraphEvents, writeAheadBroker } from './writeAhead';

/** A broker that records what it was asked and emits what the test pushes. */
function fakeBroker(onPlace: (order: Order) => void = () => undefined) {
  const events = new Subject<ExecutionEvent>();
  const placed: Order[] = [];
  const cancelled: string[] = [];
  const broker: Broker = {
    name: 'fake',
    events$: events.asObservable(),
    place(order) {
      onPlace(order);
      placed.push(order);
    },
    cancel: (id) => void cancelled.push(id),
  };
  return { broker, events, placed, cancelled };
}

describe('writeAheadBroker', () => {
  it('places an order only once its intent is committed: another reader of the file already sees it', () => {
    const { file } = tempJournal();
    const journal = openJournal(file, liveOptions());
    const seenAtPlace: boolean[] = [];
    const fake = fakeBroker((order) => {
      const reader = readJournal(file);
      seenAtPlace.push(reader.wasSent(order.id));
      reader.close();
    });
    const broker = writeAheadBroker(fake.broker, journal, { onAlreadySent: () => undefined });
    broker.place(testOrder(1));
    expect(seenAtPlace).toEqual([true]);
    expect(fake.placed.map((o) => o.id)).toEqual(['fix-1']);
    broker.cancel('fix-1');
    expect(fake.cancelled).toEqual(['fix-1']);
    expect(broker.name).toBe('fake');
    expect(broker.onBar).toBeUndefined();
    journal.close('done');
  });

  it('does not place an order id journaled as sent by an earlier run, and says so', () => {
    const { file } = tempJournal();
    const earlier = openJournal(file, liveOptions());
    writeAheadBroker(fakeBroker().broker, earlier, { onAlreadySent: () => undefined }).place(testOrder(1));
    earlier.close('killed');
    const journal = openJournal(file, liveOptions());
    const fake = fakeBroker();
    const notSent: string[] = [];
    const broker = writeAheadBroker(fake.broker, journal, { onAlreadySent: (order, previous) => notSent.push(`${order.id} run ${previous.runId}`) });
    broker.place(testOrder(1));
    broker.place(testOrder(2));
    expect(fake.placed.map((o) => o.id)).toEqual(['fix-2']);
    expect(notSent).toEqual(['fix-1 run 1']);
    journal.close('done');
  });

  it('passes a fill on only once it is journaled, and a fill journaled before not at all', () => {
    const { file } = tempJournal();
    const journal = openJournal(file, liveOptions());
    const fake = fakeBroker();
    const broker = writeAheadBroker(fake.broker, journal, { onAlreadySent: () => undefined });
    const passed: string[] = [];
    broker.events$.subscribe((event) => {
      if (event.kind !== 'fill') return passed.push(event.status);
      const reader = readJournal(file);
      passed.push(`${event.execId} journaled: ${reader.fills().some((f) => f.fill.execId === event.execId)}`);
      reader.close();
    });
    const order = testOrder(1);
    fake.events.next(testEvent(order, 'Submitted'));
    fake.events.next(testFill(order, { qty: 40_000 }));
    fake.events.next(testFill(order, { qty: 40_000 }));
    fake.events.next(testFill(order, { execId: 'fix-1.2', qty: 60_000 }));
    expect(passed).toEqual(['Submitted', 'fix-1.1 journaled: true', 'fix-1.2 journaled: true']);
    journal.close('done');
  });

  it('a journal that takes no more writes stops the orders (place throws, nothing sent) and the fills (events$ errors)', () => {
    const { file } = tempJournal();
    const journal = openJournal(file, liveOptions());
    const fake = fakeBroker();
    const broker = writeAheadBroker(fake.broker, journal, { onAlreadySent: () => undefined });
    const errors: unknown[] = [];
    broker.events$.subscribe({ error: (e) => errors.push(e) });
    journal.close('closed under it');
    expect(() => broker.place(testOrder(1))).toThrow(JournalError);
    expect(fake.placed).toEqual([]);
    fake.events.next(testFill(testOrder(1)));
    expect(errors).toEqual([expect.objectContaining({ reason: 'failed' })]);
  });
});

describe('recordGraphEvents', () => {
  it('journals signals, order events and closed trades with the fill that closed them; marks go with the next fill', () => {
    const { file } = tempJournal();
    const journal = openJournal(file, liveOptions());
    const record = recordGraphEvents(journal);
    const [buy, sell] = [testOrder(1), testOrder(2, { side: 'SELL' })];
    const trade = { strategyId: 'fix', symbol: 'USDJPY', side: 'LONG' as const, qty: 100_000, entryTs: buy.ts, exitTs: sell.ts, entryPrice: 144, exitPrice: 145, pnl: 100_000, pnlNet: 100_000, pnlNetAccount: 689.66 };
    const events: GraphEvent[] = [
      { kind: 'mark', bar: makeBar({ ts: buy.ts, close: 144 }), equity: 1_000_000 },
      { kind: 'signal', signal: { strategyId: 'fix', symbol: 'USDJPY', ts: buy.ts, target: 1 } },
      testEvent(buy, 'Accepted'),
      testFill(buy, { price: 144 }),
      testEvent(sell, 'Accepted'),
      testFill(sell, { price: 145 }),
      { kind: 'trade', trade },
    ];
    for (const event of events) record(event);
    journal.flush();
    expect(journal.signals().map((s) => s.signal.target)).toEqual([1]);
    expect(journal.orderEvents().map((e) => `${e.event.order.id} ${e.event.status}`)).toEqual(['fix-1 Accepted', 'fix-2 Accepted']);
    expect(journal.fills()).toEqual([]);
    expect(journal.trades()).toEqual([expect.objectContaining({ trade, closingExecId: 'fix-2.1' })]);
    journal.recordFill(testFill(buy));
    expect(journal.fills()[0].marks).toEqual([{ symbol: 'USDJPY', ts: buy.ts, intervalMs: 60_000, close: 144 }]);
    journal.close('done');
  });
});
