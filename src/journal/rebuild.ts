import type { ContractBook, Fill } from '../core/types';
import { createBook, type Book, type BookView } from '../portfolio/book';
import { adjustmentFill } from './journal';
import { JournalError } from './journalError';
import { markBar, type JournaledMark, type JournalReader } from './reader';

export interface RebuildOptions {
  readonly contracts: ContractBook;
  /** Default: the last run's. */
  readonly accountCurrency?: string;
  /** Default: the last run's. */
  readonly initialCash?: number;
  /** Called after each fill is booked, in journal order (per-day figures read the book here). */
  readonly onBooked?: (fill: Fill, book: BookView) => void;
}

/**
 * The book a journal describes: its fills and reconcile adjustments applied in the order they were journaled
 * (the order the engine's book saw them), each after the marks journaled with it, so realized PnL of a cross
 * converts at the same rates as it did live. Positions, average prices, realized PnL and commission per
 * strategy, in the quote and the account currency, and the closed trades, equal those of the run that wrote
 * the journal. The book is created with `dedupe`, like a live one: a fill the broker reports again is ignored.
 */
export function rebuildBook(journal: Pick<JournalReader, 'file' | 'runs' | 'fills' | 'controlActions'>, options: RebuildOptions): Book {
  const last = journal.runs().at(-1);
  const accountCurrency = options.accountCurrency ?? last?.accountCurrency;
  const initialCash = options.initialCash ?? last?.initialCash;
  if (accountCurrency === undefined || initialCash === undefined) {
    throw new JournalError('not-a-journal', journal.file, 'holds no run: pass the account currency and initial cash to rebuild a book from it');
  }
  const book = createBook({ contracts: options.contracts, accountCurrency, initialCash, dedupe: true });
  // A reconcile adjustment's fill depends on the position before it (its reason), so it is made when its turn comes.
  const bookings: { readonly seq: number; readonly fill: Fill | ((book: BookView) => Fill); readonly marks: readonly JournaledMark[] }[] = [...journal.fills()];
  for (const { seq, action } of journal.controlActions()) {
    if (action.kind === 'reconcile') bookings.push({ seq, fill: (view) => adjustmentFill(action, seq, view.position(action.strategyId, action.symbol)), marks: [] });
  }
  bookings.sort((a, b) => a.seq - b.seq);
  for (const booking of bookings) {
    for (const mark of booking.marks) book.mark(markBar(mark));
    const fill = typeof booking.fill === 'function' ? booking.fill(book) : booking.fill;
    book.applyFill(fill);
    options.onBooked?.(fill, book);
  }
  return book;
}
