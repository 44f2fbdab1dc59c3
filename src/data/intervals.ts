/** Rows looked at when a file does not say its bar interval. */
export const INTERVAL_SAMPLE_ROWS = 1000;

/**
 * The bar interval a series of timestamps suggests: the most common positive step between consecutive
 * valid timestamps among the first `INTERVAL_SAMPLE_ROWS` (ties go to the smaller step, so a week of
 * 1-minute bars with a weekend gap still says one minute). Undefined when there is no positive step.
 */
export function inferIntervalMs(ts: ArrayLike<number>, length = ts.length): number | undefined {
  const counts = new Map<number, number>();
  const end = Math.min(length, INTERVAL_SAMPLE_ROWS);
  let previous = Number.NaN;
  for (let i = 0; i < end; i++) {
    const t = ts[i];
    if (t !== t) continue;
    if (t > previous) counts.set(t - previous, (counts.get(t - previous) ?? 0) + 1);
    previous = t;
  }
  let best: number | undefined;
  let bestCount = 0;
  for (const [step, count] of counts) {
    if (count > bestCount || (count === bestCount && best !== undefined && step < best)) {
      best = step;
      bestCount = count;
    }
  }
  return best;
}

const UNITS: readonly (readonly [number, string])[] = [
  [86_400_000, 'd'],
  [3_600_000, 'h'],
  [60_000, 'm'],
  [1000, 's'],
  [1, 'ms'],
];

/** `90_000` → `1m30s`, `86_400_000` → `1d`, `0` → `0ms`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms === 0) return '0ms';
  let rest = Math.abs(ms);
  let out = ms < 0 ? '-' : '';
  for (const [size, unit] of UNITS) {
    if (rest >= size) {
      const whole = Math.floor(rest / size);
      out += `${whole}${unit}`;
      rest -= whole * size;
    }
  }
  return out;
}
