import Sqlite from 'better-sqlite3';
import { Subject } from 'rxjs';
import { liveOptions, tempJournal, testEvent, testFill, testOrder } from '../../test/support/journalFixtures';
import type { Broker } from '../broker/types';
import type { ExecutionEvent, Order, StampedIntent, Trade } from '../core/types';
import type { GraphEvent } from '../runner/graph';
import { makeBar } from '../testkit/marbles';
import { openJournal } from './journal';
import { JournalError } from './journalError';
import { readJournal } from './reader';
import { recordGraphEvents, writeAheadBroker } from './writeAhead';

/** A broker that records what it was asked and emits what the test pushes. */
function fakeBroker(onPlace: (order: Order, children: readonly Order[]) => void = () => undefined) {
  const events = new Subject<ExecutionEvent>();
  const placed: Order[] = [];
  const cancelled: string[] = [];
  const modified: Order[] = [];
  const broker: Broker = {
    name: 'fake',
    events$: events.asObservable(),
    place(order, children = []) {
      onPlace(order, children);
      placed.push(order, ...children);
    },
    cancel: (id, reason) => void cancelled.push(reason === undefined ? id : `${id} ${reason}`),
    modify: (order) => void modified.push(order),
  };
  return { broker, events, placed, cancelled, modified };
}

/** A parent with its stop-loss and take-profit, as the order manager makes a bracket. */
function bracketOf(n: number): { readonly parent: Order; readonly children: readonly Order[] } {
  const parent = testOrder(n);
  const child = (suffix: string, fields: Partial<Order>): Order => testOrder(n, { id: `${parent.id}.${suffix}`, side: 'SELL', parentId: parent.id, ocaGroup: `${parent.id}.oca`, ...fields });
  return { parent, children: [child('sl', { type: 'STOP', stopPrice: 144.2, reason: 'stop' }), child('tp', { type: 'LIMIT', limitPrice: 144.95, reason: 'takeProfit' })] };
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
    broker.cancel('fix-1', 'TARGET_CHANGED');
    expect(fake.cancelled).toEqual(['fix-1 TARGET_CHANGED']);
    const moved = testOrder(1, { type: 'STOP', stopPrice: 144 });
    broker.modify(moved);
    expect(fake.modified).toEqual([moved]);
    expect(broker.name).toBe('fake');
    expect(broker.onBar).toBeUndefined();
    journal.close('done');
  });

  it('places a bracket only once the intents of the parent and of every protective child are committed', () => {
    const { file } = tempJournal();
    const journal = openJournal(file, liveOptions());
    const seenAtPlace: string[][] = [];
    const fake = fakeBroker((order, children) => {
      const reader = readJournal(file);
      seenAtPlace.push([order, ...children].filter((o) => reader.wasSent(o.id)).map((o) => o.id));
      reader.close();
    });
    const { parent, children } = bracketOf(1);
    writeAheadBroker(fake.broker, journal, { onAlreadySent: () => undefined }).place(parent, children);
    expect(seenAtPlace).toEqual([['fix-1', 'fix-1.sl', 'fix-1.tp']]);
    expect(fake.placed.map((o) => o.id)).toEqual(['fix-1', 'fix-1.sl', 'fix-1.tp']);
    // The children read back whole, under their parent; the protective_orders view lists them.
    expect(journal.orders().map((o) => [o.order.id, o.parentId, o.order.reason])).toEqual([
      ['fix-1', null, 'entry'],
      ['fix-1.sl', 'fix-1', 'stop'],
      ['fix-1.tp', 'fix-1', 'takeProfit'],
    ]);
    expect(journal.sentOrder('fix-1.sl')?.order).toEqual(children[0]);
    journal.close('done');
    const db = new Sqlite(file, { readonly: true });
    expect(db.prepare('SELECT order_id FROM protective_orders ORDER BY seq').pluck().all()).toEqual(['fix-1.sl', 'fix-1.tp']);
    db.close();
  });

  it('does not place a bracket whose parent an earlier run sent, children included', () => {
    const { file } = tempJournal();
    const earlier = openJournal(file, liveOptions());
    const { parent, children } = bracketOf(1);
    writeAheadBroker(fakeBroker().broker, earlier, { onAlreadySent: () => undefined }).place(parent, children);
    earlier.close('killed');
    const journal = openJournal(file, liveOptions());
    const fake = fakeBroker();
    const notSent: string[] = [];
    writeAheadBroker(fake.broker, journal, { onAlreadySent: (order) => notSent.push(order.id) }).place(parent, children);
    expect(fake.placed).toEqual([]);
    expect(notSent).toEqual(['fix-1']);
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
  it('journals signals, intents, order events and closed trades with the fill that closed them; marks go with the next fill', () => {
    const { file } = tempJournal();
    const journal = openJournal(file, liveOptions());
    const record = recordGraphEvents(journal);
    const [buy, sell] = [testOrder(1), testOrder(2, { side: 'SELL' })];
    const trade: Trade = { strategyId: 'fix', symbol: 'USDJPY', side: 'LONG', qty: 100_000, entryTs: buy.ts, exitTs: sell.ts, entryPrice: 144, exitPrice: 145, pnl: 100_000, pnlNet: 100_000, pnlNetAccount: 689.66, entryReason: 'entry', exitReason: 'exit' };
    const intents: StampedIntent[] = [
      { kind: 'place', strategyId: 'fix', symbol: 'USDJPY', ts: buy.ts, clientId: 'dip', side: 'BUY', contracts: 1, type: 'LIMIT', limitPrice: 143.5, tif: { type: 'GTD', until: sell.ts }, bracket: { stopLossTicks: 300 } },
      { kind: 'modify', strategyId: 'fix', symbol: 'USDJPY', ts: buy.ts + 1, clientId: 'dip', limitPrice: 143.6 },
      { kind: 'cancel', strategyId: 'fix', symbol: 'USDJPY', ts: buy.ts + 2, clientId: 'dip' },
    ];
    const events: GraphEvent[] = [
      { kind: 'mark', bar: makeBar({ ts: buy.ts, close: 144 }), equity: 1_000_000 },
      { kind: 'signal', signal: { strategyId: 'fix', symbol: 'USDJPY', ts: buy.ts, target: 1, bracket: null } },
      ...intents.map((intent): GraphEvent => ({ kind: 'intent', intent })),
      testEvent(buy, 'Accepted'),
      testFill(buy, { price: 144 }),
      testEvent(sell, 'Accepted'),
      testFill(sell, { price: 145 }),
      { kind: 'trade', trade },
    ];
    for (const event of events) record(event);
    journal.flush();
    expect(journal.signals().map((s) => s.signal.target)).toEqual([1]);
    expect(journal.intents().map((i) => i.intent)).toEqual(intents);
    expect(journal.orderEvents().map((e) => `${e.event.order.id} ${e.event.status}`)).toEqual(['fix-1 Accepted', 'fix-2 Accepted']);
    expect(journal.fills()).toEqual([]);
    expect(journal.trades()).toEqual([expect.objectContaining({ trade, closingExecId: 'fix-2.1' })]);
    journal.recordFill(testFill(buy));
    expect(journal.fills()[0].marks).toEqual([{ symbol: 'USDJPY', ts: buy.ts, intervalMs: 60_000, close: 144 }]);
    journal.close('done');
  });

  it('journals a protection alert among the run\'s errors, with its strategy, symbol and position', () => {
    const { file } = tempJournal();
    const journal = openJournal(file, liveOptions());
    recordGraphEvents(journal)({ kind: 'error', ts: 1_704_384_000_000, strategyId: 'fix', symbol: 'USDJPY', position: 100_000, message: 'no stop-loss working' });
    journal.close('done');
    const reader = readJournal(file);
    try {
      expect(reader.errors().map((e) => [e.ts, e.source, e.message])).toEqual([[1_704_384_000_000, 'order path', 'fix USDJPY (position 100000): no stop-loss working']]);
    } finally {
      reader.close();
    }
  });
});
