/**
 * Parquet decode throughput: a 1M-row 1-minute bar file → `Bar` objects through `replayParquet` (issue 4
 * target ≥ 2M rows/s), and the raw reader alone (columnar batches, no Bar objects) for comparison.
 * Run: `npx tsx bench/parquetDecode.ts [rows]`. The file is generated once (seeded walk on a 0.001 grid)
 * under .bench-data/ and reused.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeBarsParquet } from '../src/data/dataStore';
import { openParquetReader } from '../src/data/parquetReader';
import { replayParquet } from '../src/data/replay';
import type { Bar } from '../src/core/types';

function* walk(rows: number): Generator<Bar> {
  let seed = 7;
  let price = 141;
  let ts = Date.UTC(2020, 0, 1);
  for (let i = 0; i < rows; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const open = price;
    const close = Math.round((price + (seed / 0x100000000 - 0.5) * 0.04) * 1000) / 1000;
    const high = Math.round((Math.max(open, close) + (seed % 7) * 0.001) * 1000) / 1000;
    const low = Math.round((Math.min(open, close) - (seed % 5) * 0.001) * 1000) / 1000;
    yield { symbol: 'USDJPY', ts, intervalMs: 60_000, open, high, low, close, volume: 50 + (seed % 300) };
    price = close;
    ts += 60_000;
  }
}

function mb(bytes: number): string {
  return `${Math.round(bytes / 1e6)} MB`;
}

async function main(): Promise<void> {
  const rows = Number(process.argv[2] ?? 1_000_000);
  const dir = '.bench-data';
  const file = join(dir, `bars-${rows}.parquet`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const t0 = performance.now();
    await writeBarsParquet(file, walk(rows));
    console.log(`wrote ${file} in ${Math.round(performance.now() - t0)} ms`);
  }

  for (let round = 0; round < 3; round++) {
    const t0 = performance.now();
    let n = 0;
    const reader = await openParquetReader(file, { batchRows: 8192 });
    for (let batch = await reader.next(); batch; batch = await reader.next()) n += batch.length;
    reader.close();
    const ms = performance.now() - t0;
    console.log(`reader  ${n} rows ${Math.round(ms)} ms ${((n / ms) * 1000 / 1e6).toFixed(2)}M rows/s rss ${mb(process.memoryUsage().rss)}`);
  }

  for (let round = 0; round < 3; round++) {
    const t0 = performance.now();
    let n = 0;
    let volume = 0;
    await new Promise<void>((resolve, reject) =>
      replayParquet(file).subscribe({
        next: (bar) => {
          n++;
          volume += bar.volume;
        },
        error: reject,
        complete: resolve,
      }),
    );
    const ms = performance.now() - t0;
    console.log(
      `replay  ${n} bars ${Math.round(ms)} ms ${((n / ms) * 1000 / 1e6).toFixed(2)}M rows/s rss ${mb(process.memoryUsage().rss)} (volume ${volume})`,
    );
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
