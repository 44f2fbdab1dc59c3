import { from, take, toArray, firstValueFrom } from 'rxjs';
import { marbles } from '../testkit/marbles';
import { incremental, type Incremental } from './incremental';
import { describeOperatorContract } from '../../test/support/operatorContract';

/** Running total that stays silent on odd totals: enough to see emission, skipping and per-subscription state. */
const evenTotals = (): Incremental<number, number> => {
  let total = 0;
  return {
    update(x) {
      total += x;
      return total % 2 === 0 ? total : undefined;
    },
  };
};

describe('incremental', () => {
  it('emits what update answers and skips undefined', () => {
    marbles(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-d-|', { a: 1, b: 1, c: 3, d: 1 });
      expectObservable(source.pipe(incremental(evenTotals))).toBe('---x---y-|', { x: 2, y: 6 });
    });
  });

  it('gives every subscription its own state', () => {
    marbles(({ cold, expectObservable }) => {
      const counted = cold('-a-a-a-|', { a: 2 }).pipe(incremental(evenTotals));
      expectObservable(counted).toBe('-x-y-z-|', { x: 2, y: 4, z: 6 });
      expectObservable(counted).toBe('-x-y-z-|', { x: 2, y: 4, z: 6 });
    });
  });

  it('turns a throw inside update into an error of the output and unsubscribes the source', () => {
    const failing = (): Incremental<number, number> => ({
      update(x) {
        if (x < 0) throw new RangeError(`negative input ${x}`);
        return x;
      },
    });
    marbles(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-c-|', { a: 1, b: -1, c: 2 });
      expectObservable(source.pipe(incremental(failing))).toBe('-a-#', { a: 1 }, new RangeError('negative input -1'));
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('passes errors and completion through', () => {
    marbles(({ cold, expectObservable }) => {
      expectObservable(cold('-a-#', { a: 2 }, 'boom').pipe(incremental(evenTotals))).toBe('-x-#', { x: 2 }, 'boom');
      expectObservable(cold<number>('--|').pipe(incremental(evenTotals))).toBe('--|');
    });
  });

  it('stops updating once a downstream take has what it needs, even on a synchronous source', async () => {
    let updates = 0;
    const counting = (): Incremental<number, number> => ({
      update(x) {
        updates++;
        return x;
      },
    });
    const firstTwo = await firstValueFrom(from([1, 2, 3, 4, 5, 6]).pipe(incremental(counting), take(2), toArray()));
    expect(firstTwo).toEqual([1, 2]);
    expect(updates).toBe(2);
  });
});

describeOperatorContract<number, number>('incremental', {
  operator: () => incremental(evenTotals),
  input: 'abc',
  values: { a: 1, b: 1, c: 2 },
  expected: '-BC',
  outputs: { B: 2, C: 4 },
});
