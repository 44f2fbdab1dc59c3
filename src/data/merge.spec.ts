import { describe, expect, it } from '@jest/globals';
import { lastValueFrom, Observable, take, tap, toArray } from 'rxjs';
import { DataError } from '../core/errors';
import type { Bar } from '../core/types';
import { makeBar } from '../testkit/marbles';
import { mergeByEventTime, type MergeInput } from './merge';

const T0 = Date.parse('2024-01-02T00:00:00Z');
const MIN = 60_000;

const bar = (symbol: string, minute: number, intervalMinutes = 1): Bar =>
  makeBar({ symbol, ts: T0 + minute * MIN, intervalMs: intervalMinutes * MIN, close: 100 + minute });

/**
 * An input as a file reader behaves: each batch's bars synchronously, then `pace` awaited before the next
 * batch is read. `read` counts the batches it has read, to see how far ahead of the merge it got.
 */
function fakeInput(name: string, batches: readonly (readonly Bar[])[], fail?: Error): MergeInput & { readonly read: () => number } {
  let read = 0;
  return {
    name,
    read: () => read,
    bars: (pace) =>
      new Observable<Bar>((subscriber) => {
        let stopped = false;
        void (async () => {
          for (const batch of batches) {
            await Promise.resolve(); // a read takes a while
            if (stopped) return;
            read++;
            for (const b of batch) subscriber.next(b);
            await pace();
          }
          if (fail !== undefined) subscriber.error(fail);
          else subscriber.complete();
        })();
        return () => {
          stopped = true;
        };
      }),
  };
}

const label = (b: Bar): string => `${b.symbol}@${(b.ts - T0) / MIN}`;
const merged = async (inputs: readonly MergeInput[]): Promise<string[]> => (await lastValueFrom(mergeByEventTime(inputs).pipe(toArray()))).map(label);

describe('mergeByEventTime', () => {
  it('orders bars by close time; equal close times by symbol name, whatever order the files come in', async () => {
    const usdjpy = [[bar('USDJPY', 0), bar('USDJPY', 1)], [bar('USDJPY', 2)]];
    const eurjpy = [[bar('EURJPY', 0), bar('EURJPY', 1), bar('EURJPY', 2)]];
    const expected = ['EURJPY@0', 'USDJPY@0', 'EURJPY@1', 'USDJPY@1', 'EURJPY@2', 'USDJPY@2'];
    expect(await merged([fakeInput('u', usdjpy), fakeInput('e', eurjpy)])).toEqual(expected);
    expect(await merged([fakeInput('e', eurjpy), fakeInput('u', usdjpy)])).toEqual(expected);
  });

  it('has no master clock: a minute missing in one file neither delays nor shifts the other', async () => {
    const usdjpy = [[bar('USDJPY', 0), bar('USDJPY', 1), bar('USDJPY', 2), bar('USDJPY', 3)]];
    // EURJPY misses minutes 1 and 2 (its session pauses), and ends early.
    const eurjpy = [[bar('EURJPY', 0)], [bar('EURJPY', 3)]];
    const out = await lastValueFrom(mergeByEventTime([fakeInput('u', usdjpy), fakeInput('e', eurjpy)]).pipe(toArray()));
    expect(out.map(label)).toEqual(['EURJPY@0', 'USDJPY@0', 'USDJPY@1', 'USDJPY@2', 'EURJPY@3', 'USDJPY@3']);
    // Each symbol's bars are its file's, same objects, same times.
    expect(out.filter((b) => b.symbol === 'USDJPY')).toEqual(usdjpy[0]);
    expect(out.filter((b) => b.symbol === 'EURJPY')).toEqual([eurjpy[0][0], eurjpy[1][0]]);
  });

  it('passes a longer bar after the shorter ones that closed before it (event time is the close)', async () => {
    const oneMinute = [[bar('USDJPY', 0), bar('USDJPY', 1), bar('USDJPY', 2), bar('USDJPY', 3), bar('USDJPY', 4), bar('USDJPY', 5)]];
    const fiveMinutes = [[bar('EURJPY', 0, 5)]];
    expect(await merged([fakeInput('u', oneMinute), fakeInput('e', fiveMinutes)])).toEqual(['USDJPY@0', 'USDJPY@1', 'USDJPY@2', 'USDJPY@3', 'EURJPY@0', 'USDJPY@4', 'USDJPY@5']);
  });

  it('interleaves files of one symbol (a year in monthly files) and refuses overlapping ones, naming both', async () => {
    const january = fakeInput('usdjpy-01.parquet', [[bar('USDJPY', 0), bar('USDJPY', 1)]]);
    const february = fakeInput('usdjpy-02.parquet', [[bar('USDJPY', 2), bar('USDJPY', 3)]]);
    expect(await merged([february, january])).toEqual(['USDJPY@0', 'USDJPY@1', 'USDJPY@2', 'USDJPY@3']);
    const again = fakeInput('usdjpy-copy.parquet', [[bar('USDJPY', 1)]]);
    const error = await merged([fakeInput('usdjpy-01.parquet', [[bar('USDJPY', 0), bar('USDJPY', 1)]]), again]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as Error).message).toMatch(/usdjpy-(01|copy)\.parquet: USDJPY bars of several files overlap \(its USDJPY bar at 2024-01-02T00:01:00\.000Z is not after the one at 2024-01-02T00:0[01]:00\.000Z from usdjpy-(01|copy)\.parquet/);
  });

  it('holds each file to a few bars ahead of the merge: memory is flat in file length', async () => {
    const many = Array.from({ length: 50 }, (_, i) => [bar('USDJPY', 2 * i), bar('USDJPY', 2 * i + 1)]);
    /** Per USDJPY bar passed on: how many batches USDJPY had read beyond the one holding it. */
    const readAhead = async (readAheadBars: number): Promise<number[]> => {
      const watched = fakeInput('u', many);
      const ahead: number[] = [];
      const inputs = [watched, fakeInput('e', [[bar('EURJPY', 0)], [bar('EURJPY', 98)]])];
      await lastValueFrom(
        mergeByEventTime(inputs, { readAheadBars }).pipe(
          tap((b) => {
            if (b.symbol === 'USDJPY') ahead.push(watched.read() - (Math.floor((b.ts - T0) / MIN / 2) + 1));
          }),
          toArray(),
        ),
      );
      return ahead;
    };
    const strict = await readAhead(0);
    expect(strict).toHaveLength(100);
    expect(Math.max(...strict)).toBe(0);
    // Reading ahead up to 4 waiting bars (two batches here), plus the batch read then: never more.
    expect(Math.max(...(await readAhead(4)))).toBeLessThanOrEqual(3);
  });

  it('ends with an input’s error, and stops every input when unsubscribed', async () => {
    const broken = fakeInput('bad.csv', [[bar('EURJPY', 0)]], new DataError('high < low', { file: 'bad.csv', row: 2 }));
    await expect(merged([fakeInput('u', [[bar('USDJPY', 0), bar('USDJPY', 1)]]), broken])).rejects.toThrow(/bad\.csv, row 2/);
    const long = fakeInput('u', Array.from({ length: 100 }, (_, i) => [bar('USDJPY', i)]));
    const other = fakeInput('e', Array.from({ length: 100 }, (_, i) => [bar('EURJPY', i)]));
    const firstThree = await lastValueFrom(mergeByEventTime([long, other]).pipe(take(3), toArray()));
    expect(firstThree.map(label)).toEqual(['EURJPY@0', 'USDJPY@0', 'EURJPY@1']);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(long.read() + other.read()).toBeLessThanOrEqual(5);
  });
});
