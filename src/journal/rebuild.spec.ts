import { join, resolve } from 'node:path';
import Sqlite from 'better-sqlite3';
import { from, type Observable } from 'rxjs';
import { tempJournal } from '../../test/support/journalFixtures';
import { loadContracts } from '../core/contracts';
import type { Bar, Fill } from '../core/types';
import { replayParquet } from '../data/replay';
import type { Book } from '../portfolio/book';
import type { PositionSnapshot } from '../portfolio/types';
import { loadRunnerConfig, parseRunnerConfig, type RunnerConfig } from '../runner/config';
import { runTradeRunner, simBrokerFor } from '../runner/tradeRunner';
import { makeBar } from '../testkit/marbles';
import { journalConfigHash } from './configHash';
import { openJournal } from './journal';
import { readJournal } from './reader';
import { rebuildBook } from './rebuild';
import { recordGraphEvents, writeAheadBroker } from './writeAhead';

const contracts = loadContracts();
const FIXTURE = join(resolve(__dirname, '../..'), 'fixtures/usdjpy.parquet');

/** Runs `bars$` through `config` with a journal wired as a run wires it; returns the run's book and the journal file. */
async function journaledRun(config: RunnerConfig, bars$: Observable<Bar>): Promise<{ book: Book; file: string }> {
  const { file } = tempJournal();
  const journal = openJournal(file, { mode: 'replay', account: 'replay', configHash: journalConfigHash(config), accountCurrency: config.account.currency, initialCash: config.account.initialCash });
  const broker = writeAheadBroker(simBrokerFor(config, contracts), journal, {
    onAlreadySent: (order) => {
      throw new Error(`order ${order.id} decided twice`);
    },
  });
  const run = runTradeRunner({ config, contracts, bars$, broker });
  run.events$.subscribe(recordGraphEvents(journal));
  const { book } = await run.result;
  journal.recordPositions(book.positions());
  journal.close('end of data');
  return { book, file };
}

/** What a restart must get back of a position, exactly. */
const booked = (p: PositionSnapshot) => ({
  strategyId: p.strategyId,
  symbol: p.symbol,
  qty: p.qty,
  avgPrice: p.avgPrice,
  realizedPnl: p.realizedPnl,
  realizedPnlAccount: p.realizedPnlAccount,
  commission: p.commission,
  commissionAccount: p.commissionAccount,
});
const byLeg = (a: { strategyId: string; symbol: string }, b: { strategyId: string; symbol: string }) =>
  a.strategyId.localeCompare(b.strategyId) || a.symbol.localeCompare(b.symbol);

describe('rebuildBook: the book a journal describes equals the book of the run that wrote it', () => {
  it('two Gotobi legs and an SMA cross on two months of USDJPY, with commission (JPY, booked in USD)', async () => {
    const config = parseRunnerConfig({
      account: { currency: 'USD', initialCash: 1_000_000 },
      broker: { commission: { perUnit: 0.00002 } },
      strategies: [
        { id: 'long_into_fix', type: 'gotobi', symbol: 'USDJPY', side: 'long', contracts: 1, entry: '01:00', exit: '09:55', timezone: 'Asia/Tokyo' },
        { id: 'short_after_fix', type: 'gotobi', symbol: 'USDJPY', side: 'short', contracts: 1, entry: '09:55', exit: '14:00', timezone: 'Asia/Tokyo' },
        { id: 'sma', type: 'smaCross', symbol: 'USDJPY', fast: 20, slow: 50, contracts: 2 },
      ],
    });
    const bars$ = replayParquet(FIXTURE, { symbol: 'USDJPY', from: Date.parse('2024-01-01T00:00:00Z'), to: Date.parse('2024-03-01T00:00:00Z') });
    const { book, file } = await journaledRun(config, bars$);
    const journal = readJournal(file);
    const rebuilt = rebuildBook(journal, { contracts });

    const original = book.positions().map(booked).sort(byLeg);
    expect(original.find((p) => p.strategyId === 'sma')?.qty).not.toBe(0);
    expect(original.every((p) => p.commissionAccount > 0)).toBe(true);
    expect(rebuilt.positions().map(booked).sort(byLeg)).toEqual(original);
    expect(rebuilt.accountPositions().map(booked)).toEqual(book.accountPositions().map(booked));
    expect(rebuilt.trades()).toEqual(book.trades());
    expect(book.trades().length).toBeGreaterThan(40);

    // What the replay journaled beside the fills agrees with the book too (as JSON keeps it: -0 is 0).
    expect(journal.trades().map((t) => t.trade)).toEqual(JSON.parse(JSON.stringify(book.trades())));
    const execIds = new Set(journal.fills().map((f) => f.fill.execId));
    expect(journal.trades().every((t) => t.closingExecId !== null && execIds.has(t.closingExecId))).toBe(true);
    expect(journal.lastPositions().map((p) => p.position)).toEqual(expect.arrayContaining(book.positions().map((p) => expect.objectContaining(booked(p)))));
    expect(journal.workingOrders()).toEqual([]);
    journal.close();
  });

  it('brackets (config/gotobi-bracket.json): every protective order journaled under its parent, stop and take-profit exits rebuilt', async () => {
    const config = loadRunnerConfig(join(resolve(__dirname, '../..'), 'config/gotobi-bracket.json'));
    const bars$ = replayParquet(FIXTURE, { symbol: 'USDJPY', from: Date.parse('2024-01-01T00:00:00Z'), to: Date.parse('2024-04-01T00:00:00Z') });
    const { book, file } = await journaledRun(config, bars$);
    const journal = readJournal(file);
    const rebuilt = rebuildBook(journal, { contracts });
    expect(rebuilt.positions().map(booked).sort(byLeg)).toEqual(book.positions().map(booked).sort(byLeg));
    expect(rebuilt.trades()).toEqual(book.trades());
    const exits = new Set(book.trades().map((t) => t.exitReason));
    expect(exits).toEqual(new Set(['exit', 'stop', 'takeProfit']));

    // Each entry went with a stop-loss and a take-profit, journaled as sent with it, in one OCA group.
    const orders = journal.orders();
    const entries = orders.filter((o) => o.order.reason === 'entry');
    const protective = orders.filter((o) => o.parentId !== null);
    expect(entries.length).toBeGreaterThan(20);
    expect(protective.length).toBe(2 * entries.length);
    for (const child of protective) {
      expect(child.order.parentId).toBe(child.parentId);
      expect(child.sent).toBe(true);
      expect(child.order.id).toBe(`${child.parentId}.${child.order.reason === 'stop' ? 'sl' : 'tp'}`);
      expect(child.order.ocaGroup).toBeDefined();
    }
    // A stop that filled took its take-profit with it (OCO), and the other way round.
    const filledStop = protective.find((o) => o.order.reason === 'stop' && o.status === 'Filled');
    expect(protective.find((o) => o.parentId === filledStop?.parentId && o.order.reason === 'takeProfit')).toMatchObject({ status: 'Cancelled', reason: 'OCO' });
    const db = new Sqlite(file, { readonly: true });
    const view = db.prepare('SELECT order_id FROM protective_orders ORDER BY seq').pluck().all();
    db.close();
    expect(view).toEqual(protective.sort((a, b) => a.seq - b.seq).map((o) => o.order.id));
    journal.close();
  });

  it('a cross (EURJPY, USD account) converts at the USDJPY marks journaled with each fill', async () => {
    const config = parseRunnerConfig({
      account: { currency: 'USD', initialCash: 1_000_000 },
      broker: { commission: { perUnit: 0.00003 } },
      strategies: [{ id: 'cross', type: 'smaCross', symbol: 'EURJPY', fast: 2, slow: 4, contracts: 1 }],
    });
    const start = Date.parse('2024-03-04T00:00:00Z');
    const bars: Bar[] = [];
    for (let i = 0; i < 120; i++) {
      const ts = start + i * 60_000;
      bars.push(makeBar({ symbol: 'USDJPY', ts, close: 150 + 3 * Math.sin(i / 7) }));
      bars.push(makeBar({ symbol: 'EURJPY', ts, close: 162 + 2 * Math.sin(i / 5) + 0.7 * Math.cos(i / 2) }));
    }
    const { book, file } = await journaledRun(config, from(bars));
    const journal = readJournal(file);
    expect(book.trades().length).toBeGreaterThan(5);
    expect(rebuildBook(journal, { contracts }).positions().map(booked)).toEqual(book.positions().map(booked));
    // Without the marks the rates would be unknown: the book refuses rather than guesses.
    const withoutMarks = { ...journal, fills: () => journal.fills().map((f) => ({ ...f, marks: [] })) };
    expect(() => rebuildBook(withoutMarks, { contracts })).toThrow(/no USDJPY price seen yet/);
    journal.close();
  });

  it('books reconcile adjustments where they were journaled among the fills', () => {
    const { file } = tempJournal();
    const journal = openJournal(file, { mode: 'live', account: 'DU1', configHash: 'c', accountCurrency: 'USD', initialCash: 1_000_000 });
    const t = Date.parse('2024-01-04T16:00:00Z');
    journal.recordFill({ kind: 'fill', execId: 'e1', orderId: 'o1', strategyId: 'fix', symbol: 'USDJPY', ts: t, side: 'BUY', qty: 100_000, price: 144, commission: 0, reason: 'entry' });
    const adjustment = journal.recordReconcile({ ts: t + 60_000, strategyId: 'fix', symbol: 'USDJPY', qty: 100_000, price: 145, reason: 'adopt the broker position', source: 'http' }, 100_000);
    journal.recordFill({ kind: 'fill', execId: 'e2', orderId: 'o2', strategyId: 'fix', symbol: 'USDJPY', ts: t + 120_000, side: 'SELL', qty: 200_000, price: 146, commission: 0, reason: 'exit' });
    const booked: Fill[] = [];
    const rebuilt = rebuildBook(journal, { contracts, onBooked: (fill) => booked.push(fill) });
    const position = rebuilt.positions()[0];
    // Bought 100k at 144 and 100k at 145 (avg 144.5), sold 200k at 146: 1.5 JPY × 200k.
    expect(position).toMatchObject({ qty: 0, realizedPnl: 300_000 });
    expect(position.realizedPnlAccount).toBeCloseTo(300_000 / 146, 9);
    // The adjustment adds to a long: an entry, in the live book (recordReconcile's fill) and the rebuilt one alike.
    expect(booked[1]).toEqual(adjustment);
    expect(adjustment.reason).toBe('entry');
    expect(rebuilt.trades().map((tr) => [tr.entryReason, tr.exitReason])).toEqual([['entry', 'exit']]);
    journal.close('done');
  });
});
