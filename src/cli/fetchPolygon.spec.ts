import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { firstValueFrom, toArray } from 'rxjs';
import type { Bar } from '../core/types';
import { replayParquet } from '../data/replay';
import { minuteAggs, startFakePolygon, type FakePolygon } from '../../test/support/fakePolygon';
import { runPolygonFetch, symbolFromTicker } from './fetchPolygon';

const ROOT = resolve(__dirname, '../..');
const JAN2 = Date.UTC(2024, 0, 2);
const AGGS = minuteAggs(JAN2, 25);

let server: FakePolygon;
let dir: string;

beforeAll(async () => {
  server = await startFakePolygon({ aggs: { 'C:USDJPY': AGGS }, pageSize: 10 });
  dir = await mkdtemp(join(tmpdir(), 'polygon-fetch-'));
});

afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

/** Runs the CLI in this process, capturing its output. */
async function run(args: readonly string[], env: NodeJS.ProcessEnv = { POLYGON_API_KEY: 'test-key', POLYGON_BASE_URL: server.baseUrl }) {
  let stdout = '';
  let stderr = '';
  const code = await runPolygonFetch(args, env, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } });
  return { code, stdout, stderr };
}

const baseArgs = (out: string) => ['--ticker', 'C:USDJPY', '--from', '2024-01-02', '--to', '2024-01-02', '--out', out];

describe('fetch:polygon arguments and configuration (exit 2)', () => {
  it('needs POLYGON_API_KEY', async () => {
    const result = await run(baseArgs(join(dir, 'x.parquet')), { POLYGON_BASE_URL: server.baseUrl });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('POLYGON_API_KEY is not set');
  });

  it('refuses missing options, bad dates, a reversed range and a timespan without fixed length', async () => {
    expect((await run(['--ticker', 'C:USDJPY', '--from', '2024-01-02', '--to', '2024-01-02'])).stderr).toContain("required option '--out <path>' not specified");
    const cases: Array<[readonly string[], string]> = [
      [[...baseArgs('o.parquet').slice(0, 2), '--from', '2024-02-30', '--to', '2024-03-01', '--out', 'o.parquet'], '--from must be a calendar date YYYY-MM-DD, got "2024-02-30"'],
      [[...baseArgs('o.parquet').slice(0, 2), '--from', '2024-03-02', '--to', '2024-03-01', '--out', 'o.parquet'], '--from 2024-03-02 is after --to 2024-03-01'],
      [[...baseArgs('o.parquet'), '--timespan', 'month'], '--timespan must be one of second, minute, hour, day, week'],
      [[...baseArgs('o.parquet'), '--multiplier', '0'], '--multiplier must be a whole number ≥ 1, got "0"'],
    ];
    for (const [args, message] of cases) {
      const result = await run(args);
      expect({ code: result.code, message: result.stderr.includes(message) }).toEqual({ code: 2, message: true });
    }
    const badUrl = await run(baseArgs('o.parquet'), { POLYGON_API_KEY: 'k', POLYGON_BASE_URL: 'ftp://x' });
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain('POLYGON_BASE_URL must be an http(s) URL');
  });

  it('files bars under the ticker without its market prefix', () => {
    expect(symbolFromTicker('C:USDJPY')).toBe('USDJPY');
    expect(symbolFromTicker('X:BTCUSD')).toBe('BTCUSD');
    expect(symbolFromTicker('AAPL')).toBe('AAPL');
  });
});

describe('fetch:polygon against the fake Polygon', () => {
  it('exits 1 with the reason when Polygon refuses the key', async () => {
    const out = join(dir, 'refused.parquet');
    const result = await run(baseArgs(out), { POLYGON_API_KEY: 'wrong', POLYGON_BASE_URL: server.baseUrl });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Polygon rejected the API key (HTTP 401: ERROR: Unknown API Key); check POLYGON_API_KEY');
    expect(result.stderr).not.toContain('wrong');
    expect(existsSync(out)).toBe(false);
  });

  it('reports an empty range and exits 0 without writing a file', async () => {
    const out = join(dir, 'empty.parquet');
    const result = await run(['--ticker', 'C:USDJPY', '--from', '2024-01-06', '--to', '2024-01-07', '--out', out]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('Polygon has no bars for C:USDJPY 1 minute 2024-01-06..2024-01-07 (resultsCount 0); nothing written');
    expect(existsSync(out)).toBe(false);
  });

  it('end to end, as a process: pages, a 429, and a Parquet file that replayParquet reads back bar for bar', async () => {
    const out = join(dir, 'usdjpy_polygon.parquet');
    server.script({ status: 429, body: { status: 'ERROR', error: 'too many requests' }, headers: { 'retry-after': '0' } });
    // The tsx `npx tsx` resolves to, without npx's own start-up (~3 s on a busy 2-core machine).
    const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), ['historical_data_services/polygon_fetch.ts', ...baseArgs(out)], {
      cwd: ROOT,
      env: { ...process.env, POLYGON_API_KEY: 'test-key', POLYGON_BASE_URL: server.baseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.resume();
    const code = await new Promise<number | null>((done) => child.on('close', done));
    expect({ code, stderr }).toEqual({ code: 0, stderr: expect.stringContaining('page 1: HTTP 429 (Retry-After), retry 1 in 0 ms') });
    expect(stderr).toContain('page 3: 5 bars, 25 so far');
    expect(stderr).toContain('wrote 25 USDJPY bars (2024-01-02T00:00:00.000Z … 2024-01-02T00:24:00.000Z)');

    const bars: Bar[] = await firstValueFrom(replayParquet(out, { symbol: 'USDJPY' }).pipe(toArray()));
    expect(bars).toEqual(
      AGGS.map((a) => ({ kind: 'bar', symbol: 'USDJPY', ts: a.t, intervalMs: 60_000, open: a.o, high: a.h, low: a.l, close: a.c, volume: a.v })),
    );
  });
});
