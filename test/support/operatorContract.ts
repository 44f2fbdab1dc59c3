import { describe, expect, it } from '@jest/globals';
import { Observable, take, type OperatorFunction } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';

/**
 * A sample run of an operator: input letters, one frame each, and what the operator emits at each frame.
 * Every letter of `input` is a key of `values`; `expected` has one character per input letter: an output
 * letter (a key of `outputs`) or `-` when that input gives nothing.
 */
export interface OperatorSample<In, Out> {
  /** A fresh operator (and fresh state around it: book, broker) for each case. */
  readonly operator: () => OperatorFunction<In, Out>;
  readonly input: string;
  readonly values: Readonly<Record<string, In>>;
  readonly expected: string;
  readonly outputs: Readonly<Record<string, Out>>;
}

/**
 * The cases RxJS checks for each of its own operators, run on `sample`: an empty source, a source that
 * never emits, an error, an error after values, an unsubscription while the source is still live, and a
 * consumer that leaves inside a synchronous burst — each checking, with `expectSubscriptions`, that the
 * source is unsubscribed exactly when it should be.
 */
export function describeOperatorContract<In, Out>(name: string, sample: OperatorSample<In, Out>): void {
  const { input, values, expected, outputs } = sample;
  if (expected.length !== input.length) throw new RangeError(`${name}: expected needs one character per input letter`);
  const frames = (n: number): string => '-'.repeat(n);
  const scheduler = (): TestScheduler => new TestScheduler((actual, wanted) => expect(actual).toEqual(wanted));

  describe(`${name}: the operator contract`, () => {
    // [case, source, output, subscription of the source]
    const bare: ReadonlyArray<readonly [string, string, string, string]> = [
      ['completes at once on an empty source, and unsubscribes it', '|', '|', '(^!)'],
      ['stays silent and subscribed on a source that never emits', '-', '-', '^'],
      ['passes on an error, and unsubscribes the source', '#', '#', '(^!)'],
    ];
    it.each(bare)('%s', (_case, sourceMarbles, outputMarbles, subscriptionMarbles) => {
      scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold<In>(sourceMarbles);
        expectObservable(source.pipe(sample.operator())).toBe(outputMarbles);
        expectSubscriptions(source.subscriptions).toBe(subscriptionMarbles);
      });
    });

    it('passes on a mid-stream error after what came before it', () => {
      scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold<In>(`${input}#`, values);
        expectObservable(source.pipe(sample.operator())).toBe(`${expected}#`, outputs);
        expectSubscriptions(source.subscriptions).toBe(`^${frames(input.length - 1)}!`);
      });
    });

    it('unsubscribes its source when the consumer unsubscribes', () => {
      scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold<In>(`${input}--|`, values);
        const unsubscribe = `^${frames(input.length)}!`;
        expectObservable(source.pipe(sample.operator()), unsubscribe).toBe(expected, outputs);
        expectSubscriptions(source.subscriptions).toBe(unsubscribe);
      });
    });

    it('unsubscribes a synchronous source inside its burst when the consumer has enough', () => {
      const first = [...expected].findIndex((c) => c !== '-');
      if (first < 0) throw new RangeError(`${name}: the sample must emit something`);
      scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold<In>(`(${input}|)`, values);
        expectObservable(source.pipe(sample.operator(), take(1))).toBe(`(${expected[first]}|)`, outputs);
        expectSubscriptions(source.subscriptions).toBe('(^!)');
      });
      // A plain synchronous producer sees `closed` right after the value that satisfied the consumer.
      const pushed: string[] = [];
      const producer = new Observable<In>((subscriber) => {
        for (const letter of input) {
          if (subscriber.closed) break;
          pushed.push(letter);
          subscriber.next(values[letter]);
        }
        subscriber.complete();
      });
      producer.pipe(sample.operator(), take(1)).subscribe();
      expect(pushed.join('')).toBe(input.slice(0, first + 1));
    });
  });
}
