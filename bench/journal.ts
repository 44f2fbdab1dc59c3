/**
 * The journal's figures (`npm run bench -- --only journal`), each run by bench/measure.ts in a process of its own:
 *
 * - `batched`: order cycles journaled the way a replay journals them (mode `replay`: every event in an open
 *   transaction committed every 1000 events, `synchronous=FULL` at each commit, WAL).
 * - `live`: the same cycles the way a live run journals them: the intent and the fill each committed and
 *   fsynced before the call returns (write-ahead), the other five events batched.
 * - `intentLatency`: `beforeSend` alone, live: the time from the call to the committed, fsynced intent.
 * - `rebuild`: a journal of fills read back into a book (`rebuildBook`), as recovery does at start.
 *
 * One order cycle is 7 events: a signal, the order's Accepted event, its intent, Submitted, the fill (after a
 * mark), Filled, and the closed trade.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadContracts } from '../src/core/contracts';
import type { Bar, Fill, Order, OrderEvent, Signal, Trade } from '../src/core/types';
import { openJournal, type JournalOptions } from '../src/journal/journal';
import { readJournal } from '../src/journal/reader';
import { rebuildBook } from '../src/journal/rebuild';

export type JournalWorkload = 'batched' | 'live' | 'intentLatency' | 'rebuild';

export interface JournalWorkResult {
  readonly items: number;
  readonly detail: string;
  /** intentLatency: per call, ms. */
  readonly latencyMs?: { readonly median: number; readonly p99: number };
}

/** Events of one order cycle. */
export const EVENTS_PER_CYCLE = 7;

interface Cycle {
  readonly mark: Bar;
  readonly signal: Signal;
  readonly order: Order;
  readonly accepted: OrderEvent;
  readonly submitted: OrderEvent;
  readonly fill: Fill;
  readonly filled: OrderEvent;
  readonly trade: Trade;
}

const T0 = Date.parse('2024-01-02T00:00:00Z');

/** `n` order cycles, built before the clock starts; alternating buys and sells on one strategy. */
function cycles(n: number): Cycle[] {
  const out: Cycle[] = [];
  for (let i = 0; i < n; i++) {
    const ts = T0 + i * 60_000;
    const price = 140 + (i % 100) / 100;
    const side = i % 2 === 0 ? 'BUY' : 'SELL';
    const reason = side === 'BUY' ? 'entry' : 'exit';
    const order: Order = { id: `bench-${i}`, strategyId: 'bench', symbol: 'USDJPY', ts, side, qty: 100_000, type: 'MARKET', reason };
    const fill: Fill = { kind: 'fill', execId: `${order.id}.1`, orderId: order.id, strategyId: 'bench', symbol: 'USDJPY', ts: ts + 60_000, side, qty: 100_000, price, commission: 2, reason };
    out.push({
      mark: { kind: 'bar', symbol: 'USDJPY', ts, intervalMs: 60_000, open: price, high: price, low: price, close: price, volume: 0 },
      signal: { strategyId: 'bench', symbol: 'USDJPY', ts, target: side === 'BUY' ? 1 : 0, reason: 'bench' },
      order,
      accepted: { kind: 'order', status: 'Accepted', order, ts },
      submitted: { kind: 'order', status: 'Submitted', order, ts },
      fill,
      filled: { kind: 'order', status: 'Filled', order, ts: fill.ts, filledQty: 100_000 },
      trade: { strategyId: 'bench', symbol: 'USDJPY', side: 'LONG', qty: 100_000, entryTs: ts, exitTs: fill.ts, entryPrice: price, exitPrice: price, pnl: 0, pnlNet: -4, pnlNetAccount: -0.03, entryReason: 'entry', exitReason: 'exit' },
    });
  }
  return out;
}

function options(mode: JournalOptions['mode']): JournalOptions {
  return { mode, account: mode === 'live' ? 'DU1' : 'replay', configHash: 'bench', accountCurrency: 'USD', initialCash: 1_000_000 };
}

/** A fresh directory for one measurement's journal: its path, and how to remove it. */
function tempJournalFile(): { readonly file: string; readonly remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'bench-journal-'));
  return { file: join(dir, 'journal.db'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Prepares `workload` on `events` events (orders, for intentLatency; fills, for rebuild) and returns the timed
 * part, so the clock covers the journal's work only.
 */
export function prepareJournalWork(workload: JournalWorkload, events: number): () => JournalWorkResult {
  const { file, remove } = tempJournalFile();
  switch (workload) {
    case 'batched':
    case 'live': {
      const list = cycles(Math.ceil(events / EVENTS_PER_CYCLE));
      return () => {
        const journal = openJournal(file, options(workload === 'live' ? 'live' : 'replay'));
        for (const c of list) {
          journal.recordSignal(c.signal);
          journal.recordOrderEvent(c.accepted);
          journal.beforeSend(c.order);
          journal.recordOrderEvent(c.submitted);
          journal.noteMark(c.mark);
          journal.recordFill(c.fill);
          journal.recordOrderEvent(c.filled);
          journal.recordTrade(c.trade, c.fill.execId);
        }
        journal.close('bench');
        remove();
        const how = workload === 'live' ? 'intent and fill each committed, the rest in batches' : 'all in batches of 1000';
        return { items: list.length * EVENTS_PER_CYCLE, detail: `${list.length} order cycles of ${EVENTS_PER_CYCLE} events, ${how}` };
      };
    }
    case 'intentLatency': {
      const orders = cycles(events).map((c) => c.order);
      return () => {
        const journal = openJournal(file, options('live'));
        const ms: number[] = [];
        for (const order of orders) {
          const t0 = performance.now();
          journal.beforeSend(order);
          ms.push(performance.now() - t0);
        }
        journal.close('bench');
        remove();
        ms.sort((a, b) => a - b);
        return { items: orders.length, detail: `${orders.length} intents, each committed with synchronous=FULL`, latencyMs: { median: ms[Math.floor(ms.length / 2)], p99: ms[Math.floor(ms.length * 0.99)] } };
      };
    }
    case 'rebuild': {
      const contracts = loadContracts();
      const writer = openJournal(file, options('replay'));
      for (const c of cycles(events)) {
        writer.noteMark(c.mark);
        writer.recordFill(c.fill);
      }
      writer.close('bench');
      return () => {
        const reader = readJournal(file);
        const book = rebuildBook(reader, { contracts });
        reader.close();
        remove();
        return { items: events, detail: `${events} fills into a book: ${book.trades().length} trades` };
      };
    }
  }
}
