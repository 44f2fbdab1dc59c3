import { describe, expect, it } from '@jest/globals';
import { addTicks, fromTicks, offsetTicks, roundToGrid, toTicks } from './ticks';

describe('tick grid arithmetic', () => {
  it('lands on the nearest double of the grid price', () => {
    expect(addTicks(150, 2, 0.001)).toBe(150.002);
    expect(addTicks(1.1, -3, 0.00001)).toBe(1.09997);
    expect(addTicks(4500.25, 1, 0.25)).toBe(4500.5);
    expect(addTicks(100, 2, 5)).toBe(110);
  });

  it('counts whole ticks and comes back exactly, where float steps drift', () => {
    expect(1.1 - 3 * 0.00001).not.toBe(1.09997);
    expect(offsetTicks(1.1, -3, 0.00001)).toBe(1.09997);
    expect(offsetTicks(150, -20, 0.001)).toBe(149.98);
    expect(toTicks(149.98, 0.001)).toBe(149_980);
    expect(fromTicks(149_980, 0.001)).toBe(149.98);
    expect(toTicks(1.23456, 0.00001)).toBe(123_456);
    expect(offsetTicks(4500.3, 2, 0.25)).toBe(4500.75); // off the grid: rounded to 4500.25 first
  });

  it('rounds to the grid in the direction asked, leaving grid prices alone', () => {
    expect(roundToGrid(149.9899995, 0.001, 'floor')).toBe(149.989);
    expect(roundToGrid(149.9899995, 0.001, 'ceil')).toBe(149.99);
    expect(roundToGrid(149.99, 0.001, 'floor')).toBe(149.99);
    expect(roundToGrid(101, 5, 'ceil')).toBe(105);
  });
});
