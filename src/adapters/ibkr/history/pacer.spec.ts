import { describe, expect, it } from '@jest/globals';
import { createPacer, IB_PACING, type PacerClock } from './pacer';

const req = (n: number, contract = 'USD.JPY') => ({ key: `${contract}|req${n}`, contract });

/** Virtual time: sleeping advances the clock at once. */
function virtualClock(start = 0): PacerClock & { sleeps: number[] } {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

const exact = { ...IB_PACING, marginMs: 0 };

describe('createPacer (IB limits, virtual time)', () => {
  it('allows five requests for one contract in two seconds; the sixth waits until the first is 2 s old', () => {
    const pacer = createPacer(exact);
    for (let i = 0; i < 5; i++) {
      expect(pacer.earliest(req(i), 1000 + i * 100)).toBe(1000 + i * 100);
      pacer.record(req(i), 1000 + i * 100);
    }
    expect(pacer.earliest(req(5), 1500)).toBe(3000);
    expect(pacer.earliest(req(5, 'EUR.USD'), 1500)).toBe(1500);
  });

  it('never sends an identical request within 15 s', () => {
    const pacer = createPacer(exact);
    pacer.record(req(1), 10_000);
    expect(pacer.earliest(req(1), 12_000)).toBe(25_000);
    expect(pacer.earliest(req(2), 12_000)).toBe(12_000);
  });

  it('keeps at most 60 requests in any ten minutes', async () => {
    const clock = virtualClock();
    const pacer = createPacer(exact, clock);
    const times: number[] = [];
    for (let i = 0; i < 130; i++) times.push(await pacer.acquire(req(i, `C${i % 20}`)));
    for (let i = 60; i < times.length; i++) expect(times[i] - times[i - 60]).toBeGreaterThanOrEqual(600_000);
    expect(times[59]).toBeLessThan(600_000);
    expect(times[60]).toBe(times[0] + 600_000);
    expect(times[120]).toBe(times[60] + 600_000);
  });

  it('acquire waits on the clock for every rule at once and records the send time', async () => {
    const clock = virtualClock(100);
    const pacer = createPacer({ windowMs: 1000, maxPerWindow: 3, identicalMs: 500, perContractWindowMs: 200, perContractMax: 2 }, clock);
    const sent = [];
    for (const r of [req(1), req(1), req(2), req(3), req(4)]) sent.push(await pacer.acquire(r));
    // req1 at 100; req1 again is identical until 600; req2 joins it at 600 (2 for the contract in 200 ms);
    // req3 would be the 3rd for the contract (free at 800) and the 3rd in the window (free at 100 + 1000): 1100;
    // req4 is the 4th in the window: free when 600 leaves it, at 1600.
    expect(sent).toEqual([100, 600, 600, 1100, 1600]);
    expect(clock.sleeps.every((ms) => ms > 0)).toBe(true);
  });

  it('adds the margin to every wait (IB judges arrival times)', () => {
    const pacer = createPacer(IB_PACING);
    pacer.record(req(1), 0);
    expect(pacer.earliest(req(1), 1000)).toBe(15_250);
  });
});
