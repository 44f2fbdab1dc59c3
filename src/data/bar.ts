import type { Bar } from '../core/types';

/** The one place the data layer makes a `Bar`: readers, resampling and conversion all build bars here. */
export function makeBar(symbol: string, ts: number, intervalMs: number, open: number, high: number, low: number, close: number, volume: number): Bar {
  return { kind: 'bar', symbol, ts, intervalMs, open, high, low, close, volume };
}
