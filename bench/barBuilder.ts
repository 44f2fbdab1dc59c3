/**
 * barBuilder throughput: 10M quote ticks already in memory → 1-minute bars (issue 4 target ≥ 10M ticks/s).
 * Run: `npx tsx bench/barBuilder.ts [ticks]`. Ticks are deterministic (a seeded walk, ~6 quotes a second).
 */
import { Observable } from 'rxjs';
import { barBuilder } from '../operators/barBuilder';
import type { Tick } from '../src/core/types';

function makeTicks(n: number): Tick[] {
  const ticks: Tick[] = new Array(n);
  let seed = 42;
  let mid = 150;
  let ts = Date.UTC(2024, 0, 2);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    mid += ((seed / 0x100000000) - 0.5) * 0.002;
    ts += 50 + (seed % 200);
    ticks[i] = { kind: 'quote', symbol: 'USDJPY', ts, bid: mid - 0.0015, ask: mid + 0.0015 };
  }
  return ticks;
}

/** A plain synchronous array source, as a replay reader delivers a decoded chunk. */
function arraySource<T>(items: readonly T[]): Observable<T> {
  return new Observable<T>((subscriber) => {
    for (let i = 0; i < items.length && !subscriber.closed; i++) subscriber.next(items[i]);
    subscriber.complete();
  });
}

const n = Number(process.argv[2] ?? 10_000_000);
const ticks = makeTicks(n);
for (let round = 0; round < 3; round++) {
  let bars = 0;
  let volume = 0;
  const t0 = process.hrtime.bigint();
  arraySource(ticks)
    .pipe(barBuilder(60_000))
    .subscribe((bar) => {
      bars++;
      volume += bar.volume;
    });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const rate = n / seconds;
  console.log(
    `round ${round + 1}: ${n.toLocaleString('en-US')} ticks → ${bars.toLocaleString('en-US')} bars (volume ${volume}) in ${seconds.toFixed(3)} s = ${(rate / 1e6).toFixed(2)}M ticks/s`,
  );
}
