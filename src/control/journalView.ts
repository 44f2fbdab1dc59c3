import { Subject } from 'rxjs';
import type { Bar, ContractBook, EquityPoint, Fill, OrderEvent } from '../core/types';
import { rebuildBook } from '../journal/rebuild';
import { markBar, type JournalReader } from '../journal/reader';
import { createControlState, ReadOnlyError, type ControlState } from './control';
import { restoreControl } from './controlStore';

export interface JournalViewOptions {
  readonly contracts: ContractBook;
  /**
   * Bars to draw (e.g. the day's file), in time order. Without them the chart has the closes the journal kept,
   * one a symbol before each fill.
   */
  readonly bars?: readonly Bar[];
}

/**
 * A finished day read back from a journal as a read-only control state, for the same dashboard and API a live
 * engine serves (`npm run dashboard -- --journal file`). Its events are the journal's, replayed once in the order
 * they happened (bars and fills by time, order events and fills by journal sequence); positions and PnL are the
 * book the journal rebuilds (`rebuildBook`: what the engine's book held); the kill switch and each strategy's
 * halt are those the journal's control actions left. The equity curve has a point per fill (the journal keeps no
 * mark between fills). Kill, flatten and resume throw `ReadOnlyError`.
 */
export function createJournalView(journal: JournalReader, options: JournalViewOptions): ControlState {
  const equityAfter = new Map<string, number>();
  const book = rebuildBook(journal, { contracts: options.contracts, onBooked: (fill, view) => equityAfter.set(fill.execId, view.equity()) });
  const last = journal.runs().at(-1);
  const fills = journal.fills();
  const orderEvents = journal.orderEvents();
  const working = journal.workingOrders().map((o) => o.order);
  const bars = options.bars ?? fills.flatMap((f) => f.marks.map(markBar));
  const strategyIds = new Set<string>([...journal.signals().map((s) => s.signal.strategyId), ...fills.map((f) => f.fill.strategyId), ...orderEvents.map((e) => e.event.order.strategyId)]);

  type Step = { readonly ts: number; readonly seq: number } & ({ readonly kind: 'fill'; readonly fill: Fill } | { readonly kind: 'order'; readonly event: OrderEvent } | { readonly kind: 'bar'; readonly bar: Bar });
  // A bar counts at its close, after the fills inside it; the journal's sequence orders what happened at one time.
  const steps: Step[] = [
    ...fills.map((f): Step => ({ kind: 'fill', ts: f.fill.ts, seq: f.seq, fill: f.fill })),
    ...orderEvents.map((e): Step => ({ kind: 'order', ts: e.event.ts, seq: e.seq, event: e.event })),
    ...bars.map((bar): Step => ({ kind: 'bar', ts: bar.ts + bar.intervalMs, seq: Number.MAX_SAFE_INTEGER, bar })),
  ].sort((a, b) => a.ts - b.ts || a.seq - b.seq);

  const control = createControlState({
    mode: 'journal',
    initialConnection: 'journal',
    accountCurrency: last?.accountCurrency ?? book.accountCurrency,
    strategyIds: [...strategyIds],
    readPositions: () => book.positions(),
    readWorkingOrders: () => working,
    store: {
      restore: () => restoreControl(journal.controlActions().map((entry) => entry.action)),
      record: () => {
        throw new ReadOnlyError();
      },
    },
    readOnly: true,
    // Every event stays for the page (opened at any time) to fill itself from.
    eventHistorySize: 2 * steps.length + 16,
    historySize: Math.max(256, fills.length + orderEvents.length),
  });
  // Bars go out as bar events only (a book event per bar would repeat the final book hundreds of times, more than a
  // page's event stream takes at once); the equity is set before each fill, so its book event carries it.
  const barsOut = new Subject<Bar>();
  const equityOut = new Subject<EquityPoint>();
  control.attach({ bars$: barsOut, equity$: equityOut });
  for (const step of steps) {
    if (step.kind === 'bar') barsOut.next(step.bar);
    else if (step.kind === 'fill') {
      const equity = equityAfter.get(step.fill.execId);
      if (equity !== undefined) equityOut.next({ ts: step.fill.ts, equity });
      control.record(step.fill);
    } else control.record(step.event);
  }
  barsOut.complete();
  equityOut.complete();
  return control;
}
