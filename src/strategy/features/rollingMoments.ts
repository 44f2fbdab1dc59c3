import { assertFinite, assertPeriod } from './period';

/** Mean and population variance of the last `n` values; `push` answers whether the window is full. */
export interface RollingMoments {
  push(x: number): boolean;
  mean(): number;
  /** Population variance (divides by n), ≥ 0. */
  variance(): number;
}

/**
 * Rolling mean and variance in O(1) amortized per value.
 *
 * `Σx² − (Σx)²/n` cancels catastrophically on prices (150.000 with a spread of 0.01 keeps almost no
 * digits), so the window slides with Welford's update, which works on deviations from the mean:
 * replacing `old` by `x` moves the mean by `(x − old)/n` and the sum of squared deviations by
 * `(x − old)(x − mean' + old − mean)`. Those updates still round a little each step, so every time the ring
 * buffer wraps (once per `n` values) the state is recomputed from the window with the corrected two-pass
 * formula: O(n) once per n values, and the error never carries over more than one window.
 */
export function createRollingMoments(indicator: string, n: number): RollingMoments {
  assertPeriod(indicator, 'n', n);
  const window = new Float64Array(n);
  // [mean, sum of squared deviations] in a typed array: a mutable double captured by a closure is boxed
  // on every write.
  const moments = new Float64Array(2);
  let count = 0;
  let index = 0;

  const recompute = (): void => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += window[i];
    const m = sum / n;
    let squares = 0;
    let deviations = 0;
    for (let i = 0; i < n; i++) {
      const d = window[i] - m;
      squares += d * d;
      deviations += d;
    }
    moments[0] = m + deviations / n;
    moments[1] = squares - (deviations * deviations) / n;
  };

  return {
    push(x) {
      assertFinite(indicator, x);
      const mean = moments[0];
      if (count < n) {
        count++;
        const delta = x - mean;
        const nextMean = mean + delta / count;
        moments[1] += delta * (x - nextMean);
        moments[0] = nextMean;
      } else {
        const old = window[index];
        const nextMean = mean + (x - old) / n;
        moments[1] += (x - old) * (x - nextMean + old - mean);
        moments[0] = nextMean;
      }
      window[index] = x;
      if (++index === n) {
        index = 0;
        recompute();
      }
      return count === n;
    },
    mean: () => moments[0],
    variance: () => (moments[1] > 0 ? moments[1] / n : 0),
  };
}
