import { describe, expect, it } from '@jest/globals';
import { formatDuration, inferIntervalMs } from './intervals';

const M = 60_000;

describe('inferIntervalMs', () => {
  it('takes the most common positive step, ignoring gaps and bad times', () => {
    expect(inferIntervalMs([0, M, 2 * M, 5 * M, 6 * M, Number.NaN, 7 * M, 7 * M, 8 * M])).toBe(M);
  });
  it('breaks ties toward the smaller step', () => {
    expect(inferIntervalMs([0, 5 * M, 6 * M])).toBe(M);
  });
  it('is undefined without a positive step', () => {
    expect(inferIntervalMs([M])).toBeUndefined();
    expect(inferIntervalMs([M, M, 0])).toBeUndefined();
  });
  it('looks only at the given length', () => {
    expect(inferIntervalMs(new Float64Array([0, 5 * M, 0, 0]), 2)).toBe(5 * M);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [M, '1m'],
    [90_000, '1m30s'],
    [86_400_000 + 3_600_000, '1d1h'],
    [1500, '1s500ms'],
    [-M, '-1m'],
  ])('%d → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
