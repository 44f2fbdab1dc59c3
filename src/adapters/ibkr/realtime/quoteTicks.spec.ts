import { describe, it } from '@jest/globals';
import { createMarbleScheduler } from '../../../testkit/marbles';
import { quoteTicks, type IbTick } from './quoteTicks';
import { describeOperatorContract } from '../../../../test/support/operatorContract';

const bid = (price: number): IbTick => ({ kind: 'price', tickType: 1, price });
const ask = (price: number): IbTick => ({ kind: 'price', tickType: 2, price });
const size = (tickType: number, value: number): IbTick => ({ kind: 'size', tickType, size: value });
const price = (tickType: number, value: number): IbTick => ({ kind: 'price', tickType, price: value });
const quote = (ts: number, b: number, a: number, extra: object = {}) => ({ kind: 'quote', symbol: 'USDJPY', ts, bid: b, ask: a, ...extra });

describe('quoteTicks', () => {
  it('pairs bid and ask ticks into quotes stamped with the clock; −1 clears a side until it is quoted again', () => {
    const scheduler = createMarbleScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const ticks = cold('b--a--B--x--a--b--|', { b: bid(150), a: ask(150.01), B: bid(150.005), x: bid(-1) });
      expectObservable(ticks.pipe(quoteTicks('USDJPY', () => scheduler.now()))).toBe('---q--r--------s--|', {
        q: quote(3, 150, 150.01),
        r: quote(6, 150.005, 150.01),
        s: quote(15, 150, 150.01),
      });
    });
  });

  it('holds back a crossed book and carries the latest sizes; delayed tick types count as bid/ask', () => {
    const scheduler = createMarbleScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const ticks = cold('bBaAc|', { b: bid(150), B: size(0, 2e6), a: ask(149.99), A: size(3, 1e6), c: price(67, 150.02) });
      expectObservable(ticks.pipe(quoteTicks('USDJPY', () => scheduler.now()))).toBe('----q|', {
        q: quote(4, 150, 150.02, { bidSize: 2e6, askSize: 1e6 }),
      });
    });
  });

  it('ignores other tick types and passes errors through', () => {
    const scheduler = createMarbleScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const ticks = cold('lba#', { l: price(4, 151), b: bid(150), a: ask(150.01) });
      expectObservable(ticks.pipe(quoteTicks('USDJPY', () => scheduler.now()))).toBe('--q#', { q: quote(2, 150, 150.01) });
    });
  });
});

describeOperatorContract('quoteTicks', {
  operator: () => quoteTicks('USDJPY', () => 7),
  input: 'abc',
  values: { a: bid(150), b: ask(150.01), c: bid(150.005) },
  expected: '-BC',
  outputs: { B: quote(7, 150, 150.01), C: quote(7, 150.005, 150.01) },
});
