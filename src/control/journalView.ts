import type { Bar, ContractBook } from '../core/types';
import { rebuildBook } from '../journal/rebuild';
import { markBar, type JournalReader } from '../journal/reader';
import type { ControlState } from './control';
import { restoreControl } from './controlStore';
import { createReadOnlyView, stepOrder, type ViewStep } from './readOnlyView';

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
  const bars = options.bars ?? fills.flatMap((f) => f.marks.map(markBar));
  const strategyIds = new Set<string>([...journal.signals().map((s) => s.signal.strategyId), ...fills.map((f) => f.fill.strategyId), ...orderEvents.map((e) => e.event.order.strategyId)]);

  // A bar counts at its close, after the fills inside it; the journal's sequence orders what happened at one time.
  const steps: ViewStep[] = [
    ...fills.map((f): ViewStep => ({ kind: 'fill', ts: f.fill.ts, seq: f.seq, fill: f.fill, equity: equityAfter.get(f.fill.execId) })),
    ...orderEvents.map((e): ViewStep => ({ kind: 'order', ts: e.event.ts, seq: e.seq, event: e.event })),
    ...bars.map((bar): ViewStep => ({ kind: 'bar', ts: bar.ts + bar.intervalMs, seq: Number.MAX_SAFE_INTEGER, bar })),
  ].sort(stepOrder);

  return createReadOnlyView({
    mode: 'journal',
    accountCurrency: last?.accountCurrency ?? book.accountCurrency,
    strategyIds: [...strategyIds],
    readPositions: () => book.positions(),
    workingOrders: journal.workingOrders().map((o) => o.order),
    restore: () => restoreControl(journal.controlActions().map((entry) => entry.action)),
    steps,
  });
}
