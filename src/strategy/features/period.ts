/** Indicator periods are whole bars: throws a RangeError naming the indicator and parameter otherwise. */
export function assertPeriod(indicator: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${indicator}: ${name} must be an integer ≥ 1, got ${String(value)}`);
  }
}

/**
 * NaN or ±Infinity would poison a running state forever (it never leaves a rolling sum), so indicators
 * refuse it with an error naming the indicator rather than answer NaN from then on.
 */
export function assertFinite(indicator: string, value: number): void {
  if (!Number.isFinite(value)) throw new RangeError(`${indicator}: input ${String(value)} is not a finite number`);
}
