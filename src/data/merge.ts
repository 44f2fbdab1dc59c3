import { Observable, type Subscription } from 'rxjs';
import { DataError } from '../core/errors';
import { isoUtc } from '../core/time';
import type { Bar } from '../core/types';

/** One input of a merge: its name for errors, and its bars, read at the pace the merge asks for. */
export interface MergeInput {
  /** The file (or source) name errors give. */
  readonly name: string;
  /**
   * Its bars, cold. `pace` is to be awaited after each batch (`ReplayOptions.pace`): it resolves when the
   * merge has used up the batch, so at most one batch a file waits in memory.
   */
  readonly bars: (pace: () => Promise<void>) => Observable<Bar>;
}

export interface MergeOptions {
  /**
   * An input is let read its next batch once at most this many of its bars wait here, so the read overlaps the
   * bars still being passed on. Default 8192 (one replay batch); 0: only when it has none left.
   */
  readonly readAheadBars?: number;
}

/** Passed-on bars are spliced off a queue's front in chunks, not one by one. */
const COMPACT_AT = 8192;

/** A bar's event time: when it closed, the moment a strategy may see it. */
const closeOf = (bar: Bar): number => bar.ts + bar.intervalMs;

interface Lane {
  readonly input: MergeInput;
  readonly index: number;
  /** Bars received and not yet passed on, from `head`. */
  readonly queue: Bar[];
  head: number;
  done: boolean;
  /** Resolves the input's pending `pace`: it may read its next batch. */
  resume: (() => void) | undefined;
}

/**
 * Several bar streams as one, in event-time order: a streaming k-way merge. The next bar out is the one that
 * closed first of the bars each input has ready; one input's gaps, sessions or end never hold the others
 * back beyond that (there is no master clock: a missing EURJPY minute does not delay USDJPY, it just is not
 * there). Bars that close at the same time come out in a fixed order — by symbol name, then by the inputs'
 * order — so a run is deterministic whatever order the files were given in.
 *
 * Memory is flat in file length: an input is held (`pace`) while more than `readAheadBars` of its bars wait
 * here, so at most that many and one batch per input are queued. Bars of one symbol from several inputs (a year in monthly files) interleave
 * by time; two bars of one symbol at the same time, or going back in time, are a DataError naming both
 * inputs. An input's error ends the merge with that error; unsubscribing stops every input.
 *
 * ```
 * usdjpy:  a-b-c-d-e|        (1-minute bars; EURJPY misses the minute of `y`)
 * eurjpy:  x---z-w-v|
 * merged:  x a b z c w d v e|   (equal close times: EURJPY before USDJPY)
 * ```
 */
export function mergeByEventTime(inputs: readonly MergeInput[], options: MergeOptions = {}): Observable<Bar> {
  if (inputs.length === 1) return inputs[0].bars(() => Promise.resolve());
  const readAhead = options.readAheadBars ?? 8192;
  return new Observable<Bar>((subscriber) => {
    const lanes: Lane[] = inputs.map((input, index) => ({ input, index, queue: [], head: 0, done: false, resume: undefined }));
    /** Per symbol: the last bar passed on and the input it came from (one symbol may span several inputs). */
    const lastOf = new Map<string, { ts: number; name: string }>();
    let pumping = false;

    const wake = (lane: Lane): void => {
      const resume = lane.resume;
      if (resume !== undefined) {
        lane.resume = undefined;
        resume();
      }
    };

    /** Passes on bars while every input still running has one ready; asks the empty ones for more. */
    const pump = (): void => {
      if (pumping) return;
      pumping = true;
      try {
        for (;;) {
          let next: Lane | undefined;
          let starved = false;
          for (let i = 0; i < lanes.length; i++) {
            const lane = lanes[i];
            if (lane.head === lane.queue.length) {
              if (!lane.done) {
                starved = true;
                wake(lane);
              }
              continue;
            }
            if (next === undefined || before(lane.queue[lane.head], next.queue[next.head])) next = lane;
          }
          if (starved) return;
          if (next === undefined) {
            subscriber.complete();
            return;
          }
          const bar = next.queue[next.head++];
          const waiting = next.queue.length - next.head;
          if (waiting === 0) {
            next.queue.length = 0;
            next.head = 0;
          } else if (next.head >= COMPACT_AT) {
            next.queue.splice(0, next.head);
            next.head = 0;
          }
          if (waiting <= readAhead) wake(next);
          const last = lastOf.get(bar.symbol);
          if (last === undefined) lastOf.set(bar.symbol, { ts: bar.ts, name: next.input.name });
          else {
            if (bar.ts <= last.ts) throw overlap(bar, last, next.input.name);
            last.ts = bar.ts;
            last.name = next.input.name;
          }
          subscriber.next(bar);
          if (subscriber.closed) return;
        }
      } catch (error) {
        subscriber.error(error);
      } finally {
        pumping = false;
      }
    };

    const subscriptions: Subscription[] = [];
    for (const lane of lanes) {
      const pace = (): Promise<void> =>
        new Promise<void>((resolve) => {
          lane.resume = resolve;
          if (lane.queue.length - lane.head <= readAhead) wake(lane);
          pump();
        });
      subscriptions.push(
        lane.input.bars(pace).subscribe({
          next: (bar) => lane.queue.push(bar),
          error: (error: unknown) => subscriber.error(error),
          complete: () => {
            lane.done = true;
            pump();
          },
        }),
      );
      if (subscriber.closed) break;
    }
    return () => {
      for (const s of subscriptions) s.unsubscribe();
    };
  });
}

/** The merge's order: close time, then symbol name, then the bars' start (a longer bar first). */
function before(a: Bar, b: Bar): boolean {
  const ca = closeOf(a);
  const cb = closeOf(b);
  if (ca !== cb) return ca < cb;
  if (a.symbol !== b.symbol) return a.symbol < b.symbol;
  return a.ts < b.ts;
}

function overlap(bar: Bar, last: { readonly ts: number; readonly name: string }, name: string): DataError {
  return new DataError(
    `${bar.symbol} bars of several files overlap`,
    { file: name },
    `its ${bar.symbol} bar at ${isoUtc(bar.ts)} is not after the one at ${isoUtc(last.ts)} from ${last.name}: give each symbol's files once, covering separate times`,
  );
}
