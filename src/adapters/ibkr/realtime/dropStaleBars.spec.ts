import { describe, it } from '@jest/globals';
import { marbles, makeBar } from '../../../testkit/marbles';
import { dropStaleBars } from './dropStaleBars';

const at = (second: number) => makeBar({ ts: Date.UTC(2024, 0, 5) + second * 1000, intervalMs: 5000, close: 150 + second / 1000 });

describe('dropStaleBars', () => {
  it('lets a bar through only when it starts after the last one let through', () => {
    marbles(({ cold, expectObservable }) => {
      const bars = { a: at(0), b: at(5), c: at(10), d: at(15) };
      expectObservable(cold('a-b-b-c-b-d-|', bars).pipe(dropStaleBars())).toBe('a-b---c---d-|', bars);
    });
  });

  it('keeps separate state per subscription', () => {
    marbles(({ cold, expectObservable }) => {
      const bars = { a: at(0), b: at(5) };
      const once = cold('ab|', bars).pipe(dropStaleBars());
      expectObservable(once).toBe('ab|', bars);
      expectObservable(once).toBe('ab|', bars);
    });
  });
});
