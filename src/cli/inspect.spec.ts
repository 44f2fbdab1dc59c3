import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { inspectFile, runInspect } from './inspect';

const ROOT = join(__dirname, '..', '..');
const FIXTURE = join(ROOT, 'fixtures', 'usdjpy.parquet');
const BAD = join(ROOT, 'fixtures', 'bad');

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runInspect(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

describe('inspect', () => {
  it('summarizes the demo fixture and exits 0', async () => {
    const { code, stdout, stderr } = await run(FIXTURE);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.split('\n');
    expect(lines).toContain(`file       ${FIXTURE}`);
    expect(lines).toContain('symbol     USDJPY');
    expect(lines).toContain('first      2024-01-01T00:00:00.000Z');
    expect(lines).toContain('last       2024-06-30T23:59:00.000Z');
    expect(lines).toContain('interval   1m (60000 ms, from the file metadata)');
    expect(lines).toContain('weekends   26 FX weekend closes (Fri ~22:00 → Sun ~22:00 UTC), not counted as gaps');
    expect(lines).toContain('valid      yes');
    expect(stdout).toMatch(/^rows {7}(\d+) read, \1 valid, 0 invalid$/m);
    expect(stdout).toMatch(/^gaps {7}\d+ \(\d+ missing bars; largest /m);
  });

  it('inspectFile gives the numbers behind the text', async () => {
    const summary = await inspectFile(join(BAD, 'mixed_bad.csv'));
    expect(summary.report).toMatchObject({ symbol: 'MIXED_BAD', rowsRead: 8, rowsEmitted: 3, rowsSkipped: 5, intervalMs: 60_000 });
    expect(summary.gaps).toEqual({
      count: 2,
      missingBars: 4,
      largest: { from: Date.UTC(2024, 0, 2, 0, 3), to: Date.UTC(2024, 0, 2, 0, 6), missingBars: 3 },
      listed: [
        { from: Date.UTC(2024, 0, 2, 0, 1), to: Date.UTC(2024, 0, 2, 0, 2), missingBars: 1 },
        { from: Date.UTC(2024, 0, 2, 0, 3), to: Date.UTC(2024, 0, 2, 0, 6), missingBars: 3 },
      ],
      weekendGaps: 0,
    });
  });

  it('lists every invalid row and exits 1', async () => {
    const file = join(BAD, 'mixed_bad.csv');
    const { code, stdout, stderr } = await run(file);
    expect(code).toBe(1);
    expect(stdout).toContain(
      [
        'valid      no: 5 invalid rows',
        '             1 × a row must have as many fields as the header (malformed-row)',
        '             1 × timestamp must be a valid time (invalid-timestamp)',
        '             1 × low ≤ open, close ≤ high (price-range)',
        '             1 × volume must be a finite number ≥ 0 (invalid-volume)',
        '             1 × timestamps must be strictly increasing (timestamp-order)',
        '             row 2, field "high": low ≤ open, close ≤ high (high 140.98 < low 141)',
      ].join('\n'),
    );
    expect(stderr).toBe(`${file}: invalid data: 5 invalid row(s); first at row 2, field "high": low ≤ open, close ≤ high (high 140.98 < low 141)\n`);
  });

  it('a problem of the whole file exits 1 with its message', async () => {
    const file = join(BAD, 'missing_column.parquet');
    await expect(run(file)).resolves.toEqual({
      code: 1,
      stdout: '',
      stderr: `invalid data: ${file}, field "close": missing column (no column named close/c/closeprice/closebid; columns found: "timestamp", "open", "high", "low", "volume")\n`,
    });
  });

  it('options reach the replay: a zone for naive times, a time range', async () => {
    const naive = join(BAD, 'naive_timestamp.csv');
    expect((await run(naive)).code).toBe(1);
    const { code, stdout } = await run(naive, '--timezone', 'Asia/Tokyo', '--interval', '60000');
    expect(code).toBe(0);
    expect(stdout).toContain('first      2024-01-02T00:00:00.000Z');
    expect(stdout).toContain('interval   1m (60000 ms, as given)');
    const ranged = await run(FIXTURE, '--from', '2024-03-06T00:00:00Z', '--to', '2024-03-07T00:00Z');
    expect(ranged.stdout).toContain('first      2024-03-06T00:00:00.000Z');
    expect(ranged.stdout).toContain('last       2024-03-06T23:59:00.000Z');
  });

  it.each([
    [[], "error: missing required argument 'file'"],
    [['a.parquet', '--bogus'], "error: unknown option '--bogus'"],
    [[join(BAD, 'nope.parquet')], `error: inspect: no such file: ${join(BAD, 'nope.parquet')}`],
    [[FIXTURE, '--interval', '-5'], "error: option '--interval <ms>' argument '-5' is invalid. expected a positive integer"],
    [[FIXTURE, '--timezone', 'Nowhere/Land'], 'error: timezone option: unknown time zone "Nowhere/Land"'],
    [[FIXTURE, '--from', 'soon'], 'error: --from: "soon" is not a time (ISO-8601 or epoch)'],
    [[join(ROOT, 'package.json')], 'cannot tell the layout: no header, and the first field "{" is not a time; pass --format'],
  ])('bad arguments %j exit 2', async (argv, message) => {
    const { code, stderr } = await run(...argv);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it('names the symbol as replay does: USDJPY_A2.parquet holds USDJPY', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inspect-'));
    const copy = join(dir, 'USDJPY_A2.parquet');
    copyFileSync(join(ROOT, 'fixtures', 'samples', 'usdjpy_1m.parquet'), copy);
    try {
      const { stdout } = await run(copy);
      expect(stdout).toContain('symbol     USDJPY\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says how a vendor file is read: layout, delimiter, encoding, time and zone, columns, first and last bar in UTC', async () => {
    const file = join(ROOT, 'fixtures', 'samples', 'mt5', 'USDJPY_M1_202403080000_202411040200.csv');
    const { code, stdout } = await run(file);
    expect(code).toBe(0);
    expect(stdout).toContain(
      [
        'format     MetaTrader 5 bars export (--format mt5; header <DATE> <TIME> <OPEN> …)',
        'text       UTF-16LE, tab-separated, with a header, 9 fields',
        'time       <DATE>+<TIME> (date + time): America/New_York+7 = America/New_York wall time +07:00 (MetaTrader broker server time, assumed)',
        'columns    open="<OPEN>", high="<HIGH>", low="<LOW>", close="<CLOSE>", volume="<TICKVOL>"',
        'note       volume = <TICKVOL> (tick count; <VOL> is real volume, 0 for FX)',
        "note       MetaTrader 5 bars export: the file does not say its zone; times read as America/New_York+7, the server time of most MetaTrader brokers (UTC+2 in US winter, UTC+3 in US summer); pass --timezone if your broker's differs",
        'symbol     USDJPY',
        'rows       720 read, 720 valid, 0 invalid',
        'first      2024-03-08T20:00:00.000Z',
        'last       2024-11-04T01:59:00.000Z',
      ].join('\n'),
    );
    const ticks = await run(join(ROOT, 'fixtures', 'samples', 'truefx', 'USDJPY-2024-03.csv'), '--bar', '15m');
    expect(ticks.stdout).toContain('quotes     2880 read, 2880 valid, 0 invalid\n');
    expect(ticks.stdout).toContain('interval   15m bars built from the ticks (--bar)\n');
    expect(ticks.stdout).toContain('time       column 2: UTC = UTC (TrueFX writes UTC)\n');
  });

  it('--help exits 0', async () => {
    const { code, stdout } = await run('--help');
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: inspect [options] <file>');
  });

  it('runs as a process: `tsx src/cli/inspect.ts <file>` exits 1 on invalid data, message on stderr, no stack', () => {
    const tsx = join(ROOT, 'node_modules', '.bin', 'tsx');
    const file = join(BAD, 'negative_price.csv');
    const result = spawnSync(tsx, [join(ROOT, 'src', 'cli', 'inspect.ts'), file], { encoding: 'utf8', cwd: ROOT });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`${file}: invalid data: 1 invalid row(s); first at row 2, field "open": price must be a finite number > 0 (got -141.01)\n`);
    expect(result.stdout).toContain('valid      no: 1 invalid row');
  });
});
