import { describe, expect, it } from '@jest/globals';
import { createGapTracker, isFxWeekendGap } from './gaps';

const M = 60_000;
const at = (iso: string): number => Date.parse(iso);

describe('gaps', () => {
  it('the FX weekend is its own class, winter and summer hours alike', () => {
    expect(isFxWeekendGap(at('2024-01-05T22:00:00Z'), at('2024-01-07T22:00:00Z'))).toBe(true);
    expect(isFxWeekendGap(at('2024-07-05T21:00:00Z'), at('2024-07-07T21:00:00Z'))).toBe(true);
    expect(isFxWeekendGap(at('2024-01-05T12:00:00Z'), at('2024-01-07T22:00:00Z'))).toBe(false); // Friday afternoon outage
    expect(isFxWeekendGap(at('2024-01-05T22:00:00Z'), at('2024-01-08T09:00:00Z'))).toBe(false); // Monday morning
  });

  it('counts missing bars, keeps the largest and lists the first few', () => {
    const tracker = createGapTracker(M, 2);
    const start = at('2024-01-05T21:50:00Z'); // Friday
    [0, 1, 3, 4, 9].forEach((i) => tracker.add(start + i * M)); // missing 2, then 5–8
    tracker.add(at('2024-01-07T22:00:00Z')); // Sunday reopen
    [1, 2, 5].forEach((i) => tracker.add(at('2024-01-07T22:00:00Z') + i * M)); // missing 3–4
    expect(tracker.summary()).toEqual({
      count: 3,
      missingBars: 7,
      largest: { from: start + 5 * M, to: start + 9 * M, missingBars: 4 },
      listed: [
        { from: start + 2 * M, to: start + 3 * M, missingBars: 1 },
        { from: start + 5 * M, to: start + 9 * M, missingBars: 4 },
      ],
      weekendGaps: 1,
    });
  });
});
