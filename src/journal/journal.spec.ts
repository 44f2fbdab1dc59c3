import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { liveOptions, MIN, T0, tempJournal, testEvent, testFill, testOrder, unwritableDirectory } from '../../test/support/journalFixtures';
import { isoUtc } from '../core/time';
import type { Position } from '../core/types';
import { openJournal, type Journal } from './journal';
import { JournalError, type JournalErrorReason } from './journalError';
import { readJournal } from './reader';
import { SCHEMA_VERSION } from './schema';

/** The JournalError `open` throws, checked for its reason; its message is returned for further checks. */
function refusal(open: () => unknown, reason: JournalErrorReason): string {
  try {
    open();
  } catch (error) {
    expect(error).toBeInstanceOf(JournalError);
    expect((error as JournalError).reason).toBe(reason);
    return (error as JournalError).message;
  }
  throw new Error(`expected a ${reason} refusal`);
}

function count(file: string, table: string): number {
  const db = new Sqlite(file, { readonly: true });
  try {
    return (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

const position = (fields: Partial<Position>): Position => ({
  strategyId: 'fix',
  symbol: 'USDJPY',
  ts: T0,
  qty: 100_000,
  avgPrice: 144.5,
  realizedPnl: 0,
  unrealizedPnl: 0,
  realizedPnlAccount: 0,
  unrealizedPnlAccount: 0,
  commission: 0,
  ...fields,
});

describe('journal: what is written is read back', () => {
  it('round-trips every kind of event with its full payload, in one journal-wide order', () => {
    const { file } = tempJournal();
    const journal = openJournal(file, liveOptions({ now: () => 1_700_000_000_000 }));
    // A field the core Order type does not have survives too: the payload is the whole object.
    const order = { ...testOrder(1, { type: 'LIMIT', limitPrice: 144.5, tif: { type: 'DAY', end: '17:00', zone: 'America/New_York' }, expiresAt: T0 + 22 * 60 * MIN }), venueNote: 'kept' };
    journal.recordSignal({ strategyId: 'fix', symbol: 'USDJPY', ts: order.ts, target: 1, reason: 'gotobi entry' });
    journal.recordOrderEvent(testEvent(order, 'Accepted'));
    expect(journal.beforeSend(order)).toEqual({ send: true });
    journal.recordOrderEvent(testEvent(order, 'Submitted'), { brokerOrderId: 7, permId: 9001, orderRef: 'rx:fix:fix-1' });
    expect(journal.recordFill(testFill(order, { commission: 2.5 }))).toBe('recorded');
    journal.recordOrderEvent(testEvent(order, 'Filled', { filledQty: 100_000 }));
    journal.recordError('broker', new Error('TWS said 2104'), T0);
    journal.close('test over');

    const reader = readJournal(file);
    expect(reader.schemaVersion).toBe(SCHEMA_VERSION);
    expect(reader.runs()).toEqual([
      expect.objectContaining({ id: 1, mode: 'live', account: 'DU1', startedAt: 1_700_000_000_000, stoppedAt: 1_700_000_000_000, stopReason: 'test over', pid: process.pid, accountCurrency: 'USD', initialCash: 1_000_000 }),
    ]);
    expect(reader.signals().map((s) => s.signal)).toEqual([{ strategyId: 'fix', symbol: 'USDJPY', ts: order.ts, target: 1, reason: 'gotobi entry' }]);
    expect(reader.orders()).toEqual([
      expect.objectContaining({ order, sent: true, status: 'Filled', filledQty: 100_000, remaining: 0, venue: { brokerOrderId: 7, permId: 9001, orderRef: 'rx:fix:fix-1' } }),
    ]);
    expect(reader.orderEvents().map((e) => e.event.status)).toEqual(['Accepted', 'Submitted', 'Filled']);
    expect(reader.fills().map((f) => f.fill)).toEqual([testFill(order, { commission: 2.5 })]);
    expect(reader.errors()).toEqual([expect.objectContaining({ ts: T0, source: 'broker', message: 'TWS said 2104' })]);
    const seqs = [...reader.signals(), ...reader.orderEvents(), ...reader.fills(), ...reader.errors()].map((e) => e.seq).sort((a, b) => a - b);
    expect(seqs).toEqual([1, 2, 4, 5, 6, 7]);
    expect(reader.sentOrder(order.id)?.seq).toBe(3);
    reader.close();
  });

  it('filters by event time: from inclusive, to exclusive', () => {
    const { file } = tempJournal();
    const journal = openJournal(file, liveOptions());
    for (let n = 1; n <= 4; n++) journal.recordFill(testFill(testOrder(n)));
    expect(journal.fills({ from: T0 + 3 * MIN, to: T0 + 5 * MIN }).map((f) => f.fill.orderId)).toEqual(['fix-2', 'fix-3']);
    expect(journal.lastFillTs()).toBe(T0 + 5 * MIN);
    journal.close('done');
  });

  it('keeps the marks the book saw before each fill (the last two of a symbol: a fill takes the rate of its time), once each', () => {
    const { file } = tempJournal();
    const journal = openJournal(file, liveOptions());
    const bar = (symbol: string, minute: number, close: number) => ({ kind: 'bar' as const, symbol, ts: T0 + minute * MIN, intervalMs: MIN, open: close, high: close, low: close, close, volume: 0 });
    journal.noteMark(bar('USDJPY', 0, 144));
    journal.noteMark(bar('EURUSD', 0, 1.09));
    journal.noteMark(bar('USDJPY', 1, 144.1));
    journal.recordFill(testFill(testOrder(1)));
    journal.recordFill(testFill(testOrder(2)));
    journal.noteMark(bar('USDJPY', 2, 144.2));
    journal.recordFill(testFill(testOrder(3)));
    expect(journal.fills().map((f) => f.marks.map((m) => `${m.symbol}@${m.close}`))).toEqual([['USDJPY@144', 'USDJPY@144.1', 'EURUSD@1.09'], [], ['USDJPY@144.2']]);
    journal.close('done');
  });
});

describe('journal: write-ahead and batching', () => {
  it('live: an intent and a fill are committed before they return; signals and order events wait for their batch', () => {
    const { file } = tempJournal();
    const journal = openJournal(file, liveOptions({ batch: { maxEvents: 1000, maxDelayMs: 60_000 } }));
    const order = testOrder(1);
    journal.recordSignal({ strategyId: 'fix', symbol: 'USDJPY', ts: order.ts, target: 1 });
    journal.recordOrderEvent(testEvent(order, 'Accepted'));
    expect(count(file, 'signals')).toBe(0);
    journal.beforeSend(order);
    // The intent's commit took the batch before it along: everything up to the intent is on disk.
    expect([count(file, 'signals'), count(file, 'order_events'), count(file, 'order_intents')]).toEqual([1, 1, 1]);
    journal.recordOrderEvent(testEvent(order, 'Submitted'));
    expect(count(file, 'order_events')).toBe(1);
    journal.recordFill(testFill(order));
    expect([count(file, 'order_events'), count(file, 'fills')]).toEqual([2, 1]);
    journal.close('done');
  });

  it('commits a batch at maxEvents, and maxDelayMs after its first event', async () => {
    const { file } = tempJournal();
    const journal = openJournal(file, liveOptions({ batch: { maxEvents: 3, maxDelayMs: 30 } }));
    const signal = { strategyId: 'fix', symbol: 'USDJPY', ts: T0, target: 1 };
    journal.recordSignal(signal);
    journal.recordSignal(signal);
    expect(count(file, 'signals')).toBe(0);
    journal.recordSignal(signal);
    expect(count(file, 'signals')).toBe(3);
    journal.recordSignal(signal);
    expect(count(file, 'signals')).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(count(file, 'signals')).toBe(4);
    journal.close('done');
  });

  it('replay: batches intents and fills too (nothing is sent anywhere)', () => {
    const { file } = tempJournal();
    const journal = openJournal(file, { ...liveOptions(), mode: 'replay', account: 'replay', batch: { maxEvents: 1000, maxDelayMs: 60_000 } });
    journal.beforeSend(testOrder(1));
    journal.recordFill(testFill(testOrder(1)));
    expect(count(file, 'fills')).toBe(0);
    journal.flush();
    expect([count(file, 'order_intents'), count(file, 'fills')]).toEqual([1, 1]);
    journal.close('end of data');
  });

  it('an order id journaled as sent is not sent again, in this run or the next; a fill journaled twice is a duplicate', () => {
    const { file } = tempJournal();
    const first = openJournal(file, liveOptions());
    const order = testOrder(1);
    expect(first.beforeSend(order)).toEqual({ send: true });
    expect(first.recordFill(testFill(order))).toBe('recorded');
    expect(first.beforeSend(order)).toEqual({ send: false, previous: expect.objectContaining({ order, sent: true, filledQty: 100_000 }) });
    first.close('SIGINT');

    const second = openJournal(file, liveOptions());
    expect(second.previousRun).toMatchObject({ id: 1, stopReason: 'SIGINT' });
    expect(second.wasSent(order.id)).toBe(true);
    expect(second.wasSent('fix-2')).toBe(false);
    expect(second.beforeSend(order)).toMatchObject({ send: false, previous: { runId: 1 } });
    expect(second.recordFill(testFill(order))).toBe('duplicate');
    expect(second.fills()).toHaveLength(1);
    second.close('done');
  });
});

describe('journal: recovery reads', () => {
  it('lists working orders with their venue ids: sent and not finished, partly filled ones with what remains', () => {
    const { file } = tempJournal();
    const journal = openJournal(file, liveOptions());
    const [filled, partly, cancelled, silent, refused] = [1, 2, 3, 4, 5].map((n) => testOrder(n));
    for (const order of [filled, partly, cancelled, silent]) journal.beforeSend(order);
    journal.recordOrderEvent(testEvent(refused, 'Rejected', { reason: 'MAX_POSITION', message: 'over the limit' }));
    journal.recordFill(testFill(filled));
    journal.recordOrderEvent(testEvent(partly, 'Submitted'), { brokerOrderId: 12, permId: 777, orderRef: 'rx:fix:fix-2' });
    journal.recordFill(testFill(partly, { qty: 40_000 }));
    journal.recordOrderEvent(testEvent(partly, 'PartiallyFilled', { filledQty: 40_000 }));
    journal.recordOrderEvent(testEvent(cancelled, 'Cancelled'));
    expect(journal.workingOrders().map((o) => [o.order.id, o.status, o.remaining, o.venue])).toEqual([
      ['fix-2', 'PartiallyFilled', 60_000, { brokerOrderId: 12, permId: 777, orderRef: 'rx:fix:fix-2' }],
      ['fix-4', null, 100_000, {}],
    ]);
    expect(journal.orders().map((o) => [o.order.id, o.sent, o.status, o.reason])).toEqual([
      ['fix-1', true, null, null],
      ['fix-2', true, 'PartiallyFilled', null],
      ['fix-3', true, 'Cancelled', null],
      ['fix-4', true, null, null],
      ['fix-5', false, 'Rejected', 'MAX_POSITION'],
    ]);
    journal.close('done');
  });

  it('keeps the kill switch, per-strategy kills and flattens across a restart', () => {
    const { file } = tempJournal();
    const first = openJournal(file, liveOptions());
    first.recordControl({ kind: 'kill', ts: 1000, reason: 'news', source: 'http' });
    first.recordControl({ kind: 'kill', ts: 1100, strategyId: 'fix', reason: 'odd fills', source: 'telegram' });
    first.recordControl({ kind: 'resume', ts: 1200, strategyId: 'fix', reason: 'checked', source: 'telegram' });
    first.recordControl({ kind: 'flatten', ts: 1300, strategyId: 'sma', reason: 'done for today', source: 'http' });
    first.close('SIGTERM');
    const second = openJournal(file, liveOptions());
    expect(second.controlState()).toEqual({
      killSwitch: { on: true, reason: 'news', since: 1000, source: 'http' },
      strategies: { fix: { on: false, reason: 'checked', since: 1200, source: 'telegram' } },
      flattened: { sma: { ts: 1300, reason: 'done for today', source: 'http' } },
    });
    second.recordControl({ kind: 'resume', ts: 2000, reason: 'calm again', source: 'cli' });
    expect(second.controlState().killSwitch).toEqual({ on: false, reason: 'calm again', since: 2000, source: 'cli' });
    second.close('done');
  });

  it('returns the latest position snapshot of each strategy and symbol', () => {
    const { file } = tempJournal();
    const journal = openJournal(file, liveOptions());
    journal.recordPositions([position({ qty: 100_000 }), position({ strategyId: 'sma', qty: -100_000 })]);
    journal.recordPositions([position({ qty: 0, realizedPnl: 1200, ts: T0 + MIN })]);
    expect(journal.lastPositions().map((p) => [p.position.strategyId, p.position.qty, p.position.realizedPnl])).toEqual([
      ['fix', 0, 1200],
      ['sma', -100_000, 0],
    ]);
    journal.close('done');
  });

  it('books a reconcile adjustment as a fill and keeps it out of the broker fills', () => {
    const { file } = tempJournal();
    const journal = openJournal(file, liveOptions());
    journal.recordFill(testFill(testOrder(1)));
    const fill = journal.recordReconcile({ ts: T0 + 9 * MIN, strategyId: 'fix', symbol: 'USDJPY', qty: -100_000, price: 145, reason: 'adopt the broker position', source: 'http' }, 100_000);
    expect(fill).toEqual({ kind: 'fill', execId: 'reconcile:2', orderId: 'reconcile:2', strategyId: 'fix', symbol: 'USDJPY', ts: T0 + 9 * MIN, side: 'SELL', qty: 100_000, price: 145, commission: 0, reason: 'exit' });
    expect(journal.lastFillTs()).toBe(T0 + 2 * MIN);
    expect(journal.controlActions().map((c) => c.action)).toEqual([expect.objectContaining({ kind: 'reconcile', qty: -100_000, price: 145 })]);
    expect(() => journal.recordReconcile({ ts: 0, strategyId: 'fix', symbol: 'USDJPY', qty: 0, price: 145, reason: '', source: 'http' }, 0)).toThrow(/non-zero/);
    journal.close('done');
  });
});

describe('journal: refuses, never silently starts fresh', () => {
  it('a second engine on the same journal is told who holds it; after the first closes it opens', () => {
    const { file } = tempJournal();
    const first = openJournal(file, liveOptions({ now: () => Date.parse('2024-01-05T00:00:00Z') }));
    const message = refusal(() => openJournal(file, liveOptions()), 'locked');
    expect(message).toContain(file);
    expect(message).toContain(`pid ${process.pid}`);
    expect(message).toContain(`started ${isoUtc(Date.parse('2024-01-05T00:00:00Z'))}`);
    // Readers are not locked out.
    const reader = readJournal(file);
    expect(reader.runs()).toHaveLength(1);
    reader.close();
    first.close('done');
    openJournal(file, liveOptions()).close('done');
  });

  it('a journal of another account or another config', () => {
    const { file } = tempJournal();
    openJournal(file, liveOptions()).close('done');
    expect(refusal(() => openJournal(file, liveOptions({ account: 'DU2' })), 'other-account')).toMatch(/written for account DU1, not DU2/);
    expect(refusal(() => openJournal(file, liveOptions({ configHash: 'fff000' })), 'other-config')).toMatch(/another config \(config hash abc123def456…, run 1 .*hashes to fff000…/);
    const changed = openJournal(file, liveOptions({ configHash: 'fff000', allowConfigChange: true }));
    expect(changed.run.configHash).toBe('fff000');
    changed.close('done');
    // The next run compares with the latest config.
    openJournal(file, liveOptions({ configHash: 'fff000' })).close('done');
  });

  it('a replay into a journal that holds runs, and a live engine on a replay journal', () => {
    const { file } = tempJournal();
    openJournal(file, liveOptions()).close('done');
    expect(refusal(() => openJournal(file, liveOptions({ mode: 'replay' })), 'not-empty')).toMatch(/already holds 1 run\(s\); a replay writes a new journal/);
    const replay = tempJournal().file;
    openJournal(replay, liveOptions({ mode: 'replay' })).close('end of data');
    expect(refusal(() => openJournal(replay, liveOptions()), 'other-config')).toMatch(/written by a replay/);
  });

  it('a journal from a newer engine, both to write and to read', () => {
    const { file } = tempJournal();
    openJournal(file, liveOptions()).close('done');
    const db = new Sqlite(file);
    db.pragma('user_version = 99');
    db.close();
    expect(refusal(() => openJournal(file, liveOptions()), 'newer-schema')).toMatch(/journal schema 99; this engine knows schemas up to 1/);
    refusal(() => readJournal(file), 'newer-schema');
  });

  it('a file that is not SQLite, and a SQLite database of something else, left untouched', () => {
    const { dir, file } = tempJournal('notes.db');
    writeFileSync(file, 'these are my trading notes, not a database\n'.repeat(20));
    expect(refusal(() => openJournal(file, liveOptions()), 'corrupt')).toMatch(/not a SQLite database/);
    expect(readFileSync(file, 'utf8')).toMatch(/^these are my trading notes/);
    const other = join(dir, 'other.db');
    const db = new Sqlite(other);
    db.exec('CREATE TABLE prices (ts INTEGER, close REAL)');
    db.close();
    expect(refusal(() => openJournal(other, liveOptions()), 'not-a-journal')).toMatch(/not an engine journal \(application id 0, tables prices\)/);
  });

  it('a damaged journal: one page of an index overwritten fails the integrity check; a damaged header fails at once', () => {
    const { file } = tempJournal();
    const journal = openJournal(file, liveOptions());
    for (let n = 1; n <= 300; n++) journal.recordFill(testFill(testOrder(n)));
    journal.close('done');
    const db = new Sqlite(file, { readonly: true });
    const page = (db.prepare("SELECT rootpage FROM sqlite_schema WHERE name = 'fills_by_ts'").pluck().get() as number) - 1;
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.close();
    const bytes = readFileSync(file);
    for (let i = page * pageSize + pageSize / 2; i < (page + 1) * pageSize - 100; i++) bytes[i] = (i * 31) & 0xff;
    writeFileSync(file, bytes);
    const message = refusal(() => openJournal(file, liveOptions()), 'corrupt');
    expect(message).toMatch(/SQLite's integrity check failed: Tree \d+ page \d+ cell \d+: [^;]+; [^;]+; [^;]+ \(and \d+ more\); it was left as it is/);
    refusal(() => readJournal(file), 'corrupt');
    // The schema's page itself: SQLite cannot even list the tables.
    for (let i = 200; i < pageSize; i++) bytes[i] = (i * 13) & 0xff;
    writeFileSync(file, bytes);
    expect(refusal(() => openJournal(file, liveOptions()), 'corrupt')).toMatch(/not a readable SQLite database \(database disk image is malformed\)/);
    expect(statSync(file).size).toBe(bytes.length);
  });

  it('a directory it cannot write: a clear error at open', () => {
    const file = join(unwritableDirectory(), `journal-${process.pid}.db`);
    expect(refusal(() => openJournal(file, liveOptions()), 'unwritable')).toMatch(/cannot write .*check that the file and its directory are writable/);
  });
});

describe('journal: a full disk', () => {
  it('refuses at open when the schema does not fit, and the file opens later with room', () => {
    const { file } = tempJournal();
    expect(refusal(() => openJournal(file, liveOptions({ maxBytes: 16 * 1024 })), 'full')).toMatch(/full while opening it/);
    openJournal(file, liveOptions()).close('done');
  });

  it('live: the fill that does not fit fails with a clear error; every earlier fill is kept, nothing after is taken', () => {
    const { file } = tempJournal();
    openJournal(file, liveOptions()).close('created');
    const failures: JournalError[] = [];
    const journal = openJournal(file, liveOptions({ maxBytes: statSync(file).size + 4 * 4096, onFailure: (e) => failures.push(e) }));
    let recorded = 0;
    const message = refusal(() => {
      for (let n = 1; n < 10_000; n++) {
        journal.recordFill(testFill(testOrder(n), { execId: `exec-${n}-${'x'.repeat(200)}` }));
        recorded++;
      }
    }, 'full');
    expect(message).toMatch(new RegExp(`full while journaling fill exec-${recorded + 1}-x+ \\(database or disk is full\\); nothing of that write was kept`));
    expect(failures.map((e) => e.reason)).toEqual(['full']);
    expect(refusal(() => journal.recordSignal({ strategyId: 'fix', symbol: 'USDJPY', ts: T0, target: 0 }), 'failed')).toMatch(/failed earlier and takes no more writes/);
    journal.close('failed');
    expect(recorded).toBeGreaterThan(10);
    expect(count(file, 'fills')).toBe(recorded);
  });

  it('batched: the batch that does not fit is dropped whole, never half-written', () => {
    const { file } = tempJournal();
    openJournal(file, liveOptions()).close('created');
    const journal: Journal = openJournal(file, liveOptions({ maxBytes: statSync(file).size + 6 * 4096, batch: { maxEvents: 50, maxDelayMs: 60_000 } }));
    let attempted = 0;
    const message = refusal(() => {
      for (;;) {
        attempted++;
        journal.recordSignal({ strategyId: 'fix', symbol: 'USDJPY', ts: T0, target: 1, reason: 'r'.repeat(300) });
      }
    }, 'full');
    expect(message).toMatch(/batched event\(s\) since the last commit, not kept either/);
    journal.close('failed');
    const kept = count(file, 'signals');
    expect(kept % 50).toBe(0);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(attempted);
  });
});
