import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadContracts } from '../core/contracts';
import { parseReplayReport } from '../runner/report/replayReport';
import { runReplay, symbolFromFileName } from './replay';

const ROOT = resolve(__dirname, '../..');
const FIXTURE = join(ROOT, 'fixtures/usdjpy.parquet');

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } },
    stdout: () => out.join(''),
    stderr: () => err.join(''),
  };
}

describe('npm run replay', () => {
  const dir = mkdtempSync(join(tmpdir(), 'replay-cli-'));

  it('prints the per-strategy summary and writes the JSON and HTML reports', async () => {
    const c = capture();
    const json = join(dir, 'out.json');
    const html = join(dir, 'out.html');
    const code = await runReplay([FIXTURE, '--from', '2024-01-01', '--to', '2024-02-01', '--json', json, '--html', html], c.io);
    expect(c.stderr()).toBe('');
    expect(code).toBe(0);
    expect(c.stdout()).toMatch(/long_into_fix\s+USDJPY/);
    expect(c.stdout()).toMatch(/short_after_fix\s+USDJPY/);
    expect(c.stdout()).toMatch(/bars\/s/);
    const report = parseReplayReport(readFileSync(json, 'utf8'), json);
    expect(report.account).toMatchObject({ currency: 'USD', initialCash: 1_000_000 });
    expect(report.strategies.map((s) => s.id)).toEqual(['long_into_fix', 'short_after_fix']);
    expect(report.strategies[0].fills[0]).toMatchObject({ side: 'BUY', qty: 100_000, time: '2024-01-04T16:00:00.000Z', price: 139.558 });
    expect(readFileSync(html, 'utf8')).toMatch(/^<!doctype html>/i);
  });

  it('exits 2 naming the field of a bad config', async () => {
    const config = join(dir, 'bad.json');
    writeFileSync(config, JSON.stringify({ account: { currency: 'USD', initialCash: -5 }, strategies: [] }));
    const c = capture();
    expect(await runReplay([FIXTURE, '--config', config], c.io)).toBe(2);
    expect(c.stderr()).toMatch(/bad\.json: account\.initialCash: .*strategies: /);
  });

  it('exits 2 when the strategies trade another symbol than the file holds', async () => {
    const c = capture();
    expect(await runReplay([FIXTURE, '--symbol', 'EURUSD'], c.io)).toBe(2);
    expect(c.stderr()).toMatch(/EURUSD bars but strategies "long_into_fix" \(USDJPY\)/);
  });

  it('exits 2 on a bad argument and 1 on bad data, naming file, row and field', async () => {
    const a = capture();
    expect(await runReplay([FIXTURE, '--from', 'yesterday'], a.io)).toBe(2);
    expect(a.stderr()).toMatch(/--from: "yesterday" is not a time/);
    const b = capture();
    expect(await runReplay([join(ROOT, 'fixtures/bad/high_below_low.csv'), '--symbol', 'USDJPY'], b.io)).toBe(1);
    expect(b.stderr()).toMatch(/^invalid data: .*high_below_low\.csv, row \d+, field "(high|low)"/);
    const c = capture();
    expect(await runReplay([join(dir, 'missing.parquet')], c.io)).toBe(2);
    expect(c.stderr()).toMatch(/^error: replay: no such file: .*missing\.parquet/);
  });

  it('replays the bracket example config and a strategy from the user’s own module, and names a bad module param', async () => {
    const bracket = capture();
    expect(await runReplay([FIXTURE, '--to', '2024-02-01', '--config', join(ROOT, 'config/gotobi-bracket.json')], bracket.io)).toBe(0);
    expect(bracket.stdout()).toMatch(/^Exits by reason\s+exit\s+stop\s+takeProfit$/m);
    const user = capture();
    expect(await runReplay([FIXTURE, '--to', '2024-02-01', '--config', join(ROOT, 'examples/rsiRevert.json')], user.io)).toBe(0);
    expect(user.stdout()).toMatch(/^rsi\s+USDJPY\s+\d+/m);
    const config = join(dir, 'bad-module.json');
    writeFileSync(
      config,
      JSON.stringify({
        account: { currency: 'USD', initialCash: 1_000_000 },
        strategies: [{ id: 'rsi', module: join(ROOT, 'examples/strategies/rsiRevert.ts'), symbol: 'USDJPY', params: { period: 'fourteen' } }],
      }),
    );
    const bad = capture();
    expect(await runReplay([FIXTURE, '--config', config], bad.io)).toBe(2);
    expect(bad.stderr()).toMatch(/bad-module\.json: strategies\[0\]\.params\.period: Invalid input: expected number, received string/);
  });

  it('takes the symbol from the file name when it names exactly one contract', () => {
    const contracts = loadContracts();
    expect(symbolFromFileName('data/usdjpy.parquet', contracts)).toBe('USDJPY');
    expect(symbolFromFileName('EURUSD_2024-1m.csv', contracts)).toBe('EURUSD');
    expect(symbolFromFileName('prices.csv', contracts)).toBeUndefined();
  });

  it('runs as the README says, as a process', () => {
    const r = spawnSync(join(ROOT, 'node_modules/.bin/tsx'), ['src/cli/replay.ts', 'fixtures/usdjpy.parquet', '--to', '2024-01-15'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Account/);
  });
});
