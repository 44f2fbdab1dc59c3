import { from } from 'rxjs';
import { ConfigError } from '../src/core/errors';
import { DAY_MS, MINUTE_MS } from '../src/core/time';
import type { Bar, Tick } from '../src/core/types';
import { barBuilder, priceBars, type TickSink } from './barBuilder';

/** A seeded generator, so a failure reproduces. */
function lcg(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
}

/** Ticks of one symbol in time order (some sharing a millisecond, some minutes empty), quotes or trades. */
function ticks(kind: 'quote' | 'trade', count: number, start: number, maxGapMs: number, seed: number): Tick[] {
  const random = lcg(seed);
  const out: Tick[] = [];
  let ts = start;
  let price = 150;
  for (let i = 0; i < count; i++) {
    if (random() > 0.1) ts += Math.floor(random() * maxGapMs);
    price = Math.round((price + (random() - 0.5) * 0.05) * 1000) / 1000;
    if (kind === 'quote') out.push({ kind, symbol: 'USDJPY', ts, bid: price, ask: price + 0.003 + Math.floor(random() * 5) / 1000 });
    else out.push({ kind, symbol: 'USDJPY', ts, price, size: Math.floor(random() * 1000) / 10 });
  }
  return out;
}

function viaOperator(input: readonly Tick[], intervalMs: number): Bar[] {
  const bars: Bar[] = [];
  from(input).pipe(barBuilder(intervalMs)).subscribe((b) => bars.push(b));
  return bars;
}

function viaSink(input: readonly Tick[], intervalMs: number): Bar[] {
  const bars: Bar[] = [];
  const sink: TickSink = priceBars(intervalMs)('USDJPY', (b) => bars.push(b));
  for (const t of input) {
    if (t.kind === 'quote') sink.quote(t.ts, t.bid, t.ask);
    else sink.trade(t.ts, t.price, t.size);
  }
  sink.flush();
  return bars;
}

describe('priceBars: the bars barBuilder makes, from numbers', () => {
  const march = Date.UTC(2024, 2, 1, 12, 0, 0); // the daily case crosses the US DST change of 10 March
  it.each([
    ['quotes, 1 minute', 'quote', MINUTE_MS, 20_000],
    ['trades, 1 minute', 'trade', MINUTE_MS, 20_000],
    ['quotes, 5 minutes, sparse', 'quote', 5 * MINUTE_MS, 900_000],
    ['trades, 1 hour', 'trade', 60 * MINUTE_MS, 200_000],
    ['quotes, daily FX sessions across DST', 'quote', DAY_MS, 3_600_000],
  ] as const)('%s', (_, kind, intervalMs, maxGapMs) => {
    const input = ticks(kind, 5000, march, maxGapMs, 7);
    const expected = viaOperator(input, intervalMs);
    expect(expected.length).toBeGreaterThan(10);
    // Same bars, field for field and in key order (JSON), as the operator's.
    expect(JSON.stringify(viaSink(input, intervalMs))).toBe(JSON.stringify(expected));
  });

  it('emits each bar when the first tick after its bucket arrives, the last one on flush', () => {
    const out: number[] = [];
    const sink = priceBars(MINUTE_MS)('USDJPY', (b) => out.push(b.ts));
    sink.quote(30_000, 1, 2);
    sink.quote(59_999, 1, 2);
    expect(out).toEqual([]);
    sink.quote(60_000, 1, 2);
    expect(out).toEqual([0]);
    sink.flush();
    expect(out).toEqual([0, 60_000]);
    sink.flush();
    expect(out).toEqual([0, 60_000]);
  });

  it('checks the interval as barBuilder does, when made', () => {
    expect(() => priceBars(0)).toThrow(ConfigError);
    expect(() => priceBars(1.5)).toThrow('intervalMs must be a positive whole number of milliseconds, got 1.5');
    expect(() => priceBars(MINUTE_MS, { session: { zone: 'America/New_York', time: '17:00' } })).toThrow('session applies to daily bars only');
  });
});
