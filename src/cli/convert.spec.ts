import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { lastValueFrom, toArray } from 'rxjs';
import { sampleBars } from '../../scripts/makeFixtures';
import { readBarsParquet } from '../data/dataStore';
import { replayFile } from '../data/replay';
import { runConvert } from './convert';

const SAMPLES = join(__dirname, '..', '..', 'fixtures', 'samples');
const dir = mkdtempSync(join(tmpdir(), 'convert-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runConvert(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}

describe('npm run convert', () => {
  it('a MetaTrader 5 export → the canonical Parquet and the canonical CSV, byte for byte', async () => {
    const parquet = join(dir, 'usdjpy.parquet');
    const first = await run(join(SAMPLES, 'mt5/USDJPY_M1_202403080000_202411040200.csv'), parquet);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(`${parquet}: 720 USDJPY 1m bars, 2024-03-08T20:00:00.000Z … 2024-11-04T01:59:00.000Z\n`);
    expect(first.stderr).toContain('MetaTrader 5 bars export: the file does not say its zone');
    await expect(readBarsParquet(parquet)).resolves.toEqual(sampleBars());
    const csv = join(dir, 'usdjpy.csv');
    expect((await run(parquet, csv)).code).toBe(0);
    expect(readFileSync(csv, 'utf8')).toBe(readFileSync(join(SAMPLES, 'usdjpy_1m.csv'), 'utf8'));
  });

  it('ticks → 5-minute bars, once; the output replays without any flag', async () => {
    const out = join(dir, 'usdjpy-5m.csv');
    const result = await run(join(SAMPLES, 'histdata/DAT_ASCII_USDJPY_T_202403.csv'), out, '--bar', '5m', '--price', 'bid');
    expect(result.stdout).toBe(`${out}: 144 USDJPY 5m bars, 2024-03-08T20:00:00.000Z … 2024-11-04T01:55:00.000Z, built from 2880 quotes\n`);
    const bars = await lastValueFrom(replayFile(out, { symbol: 'USDJPY' }).pipe(toArray()));
    const canonical = sampleBars();
    expect(bars[0]).toMatchObject({ symbol: 'USDJPY', ts: canonical[0].ts, intervalMs: 300_000, open: canonical[0].open, high: Math.max(...canonical.slice(0, 5).map((b) => b.high)), low: Math.min(...canonical.slice(0, 5).map((b) => b.low)), close: canonical[4].close, volume: 20 });
  });

  it('exit 2 for an output it cannot write, 1 for bad data', async () => {
    expect(await run(join(SAMPLES, 'mt4/USDJPY1.csv'), join(dir, 'x.xlsx'))).toMatchObject({ code: 2, stderr: expect.stringContaining('the output must end in .parquet or .csv') });
    const bad = await run(join(__dirname, '..', '..', 'fixtures/bad/high_below_low.csv'), join(dir, 'bad.csv'), '--symbol', 'usdjpy');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^invalid data: .*high_below_low\.csv, row 2, field "high"/);
  });
});
