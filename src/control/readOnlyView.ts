import { Subject } from 'rxjs';
import type { Bar, EquityPoint, Fill, Order, OrderEvent, Position } from '../core/types';
import { createControlState, ReadOnlyError, type ControlState, type EngineMode, type RestoredControl } from './control';

/**
 * One thing that happened in a finished day, as a read-only view replays it. `ts` and `seq` order the steps: by
 * time, then by `seq` (each view decides what comes first at one time).
 */
export type ViewStep = { readonly ts: number; readonly seq: number } & (
  | {
      readonly kind: 'fill';
      readonly fill: Fill;
      /** The account's equity once the fill was booked, when known. */
      readonly equity?: number;
    }
  | { readonly kind: 'order'; readonly event: OrderEvent }
  /** A bar to draw, nothing more. */
  | { readonly kind: 'bar'; readonly bar: Bar }
  /** A bar the book was marked with, and the equity at its close: a book event follows it. */
  | { readonly kind: 'mark'; readonly bar: Bar; readonly equity: number }
);

/** Time, then `seq`: the order `createReadOnlyView` expects its steps in. */
export const stepOrder = (a: ViewStep, b: ViewStep): number => a.ts - b.ts || a.seq - b.seq;

export interface ReadOnlyViewOptions {
  readonly mode: Extract<EngineMode, 'journal' | 'report'>;
  readonly accountCurrency: string;
  readonly strategyIds: readonly string[];
  /** The book at the end: every book event carries it (the equity is the one of its step). */
  readonly readPositions: () => readonly Position[];
  /** Orders still working at the end. */
  readonly workingOrders: readonly Order[];
  /** The kill switch and halts the day left. Default: nothing halted. */
  readonly restore?: () => RestoredControl;
  /** In `stepOrder`. */
  readonly steps: readonly ViewStep[];
}

/**
 * A finished day as a read-only control state, for the dashboard and API a live engine serves: the steps are
 * replayed once, in order, into its events, and every one is retained so a page opened at any time fills itself
 * from them. Kill, flatten and resume throw `ReadOnlyError`. Shared by the journal and the report views.
 */
export function createReadOnlyView(options: ReadOnlyViewOptions): ControlState {
  const { steps } = options;
  let executions = 0;
  for (const step of steps) if (step.kind === 'fill' || step.kind === 'order') executions += 1;
  const restore = options.restore;
  const control = createControlState({
    mode: options.mode,
    initialConnection: options.mode,
    accountCurrency: options.accountCurrency,
    strategyIds: options.strategyIds,
    readPositions: options.readPositions,
    readWorkingOrders: () => options.workingOrders,
    store: {
      restore: () => restore?.() ?? { killSwitch: { on: false, reason: '', since: null }, strategies: {} },
      record: () => {
        throw new ReadOnlyError();
      },
    },
    readOnly: true,
    // Every event stays for the page (opened at any time) to fill itself from: at most two a step (a fill or a
    // mark and its book event), and the connection.
    eventHistorySize: 2 * steps.length + 16,
    historySize: Math.max(256, executions),
  });
  // Bars go out as bar events only (a book event per bar would repeat the final book hundreds of times, more than a
  // page's event stream takes at once); the equity is set before each fill, so its book event carries it.
  const barsOut = new Subject<Bar>();
  const equityOut = new Subject<EquityPoint>();
  control.attach({ bars$: barsOut, equity$: equityOut });
  for (const step of steps) {
    if (step.kind === 'bar') barsOut.next(step.bar);
    else if (step.kind === 'mark') control.record({ kind: 'mark', bar: step.bar, equity: step.equity });
    else if (step.kind === 'fill') {
      if (step.equity !== undefined) equityOut.next({ ts: step.fill.ts, equity: step.equity });
      control.record(step.fill);
    } else control.record(step.event);
  }
  barsOut.complete();
  equityOut.complete();
  return control;
}
