import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { loadContracts } from '../core/contracts';
import { parseReplayReport } from '../runner/report/replayReport';
import { DEFAULT_CONFIG_PATH, runReplay, symbolFromFileName } from './replay';

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
    expect(symbolFromFileName('data/USDJPY_A2.parquet', contracts)).toBe('USDJPY');
    expect(symbolFromFileName('usdjpy-1m.csv.gz', contracts)).toBe('USDJPY');
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

  it("runs compiled, as npm run does, with a user's TypeScript strategy module loaded relative to its config", () => {
    // The launcher runs the esbuild bundle in a plain Node: no TypeScript loader is in place, so the module goes through tsx's API.
    const r = spawnSync(process.execPath, ['scripts/launch.cjs', 'src/cli/replay.ts', 'fixtures/usdjpy.parquet', '--to', '2024-02-01', '--config', 'examples/rsiRevert.json', '--no-progress'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^rsi\s+USDJPY\s+\d+/m);
    expect(r.stdout).toMatch(/^Exits by reason\s+exit\s+stop/m);
  });
});

describe('npm run replay: files traders have, and the rough edges', () => {
  const dir = mkdtempSync(join(tmpdir(), 'replay-cli-edges-'));
  const SAMPLES = join(ROOT, 'fixtures/samples');

  it('upper-cases --symbol', async () => {
    const c = capture();
    expect(await runReplay([FIXTURE, '--symbol', 'usdjpy', '--to', '2024-01-10'], c.io)).toBe(0);
    expect(c.stdout()).toMatch(/long_into_fix\s+USDJPY/);
  });

  it('a range after the data is an error saying so (exit 2), not 0 bars and exit 0', async () => {
    const c = capture();
    expect(await runReplay([FIXTURE, '--from', '2030-01-01'], c.io)).toBe(2);
    expect(c.stderr()).toContain(`error: no bars in ${FIXTURE} within --from 2030-01-01: the range misses the data (npm run inspect -- ${FIXTURE} shows its first and last bar)`);
  });

  it('"policy": "skip" prints a count per rule', async () => {
    const config = join(dir, 'skip.json');
    writeFileSync(config, JSON.stringify({ ...JSON.parse(readFileSync(DEFAULT_CONFIG_PATH, 'utf8')), data: { policy: 'skip' } }));
    const c = capture();
    expect(await runReplay([join(ROOT, 'fixtures/bad/mixed_bad.csv'), '--symbol', 'USDJPY', '--config', config], c.io)).toBe(0);
    expect(c.stderr()).toContain('skipped 5 invalid row(s) (data.policy "skip"):\n  1 × a row must have as many fields as the header (malformed-row)\n');
    expect(c.stderr()).toContain('  1 × timestamps must be strictly increasing (timestamp-order)\n');
  });

  it('a live config replays as it is: its ib and live sections set aside, its live.bar kept', async () => {
    const c = capture();
    expect(await runReplay([FIXTURE, '--config', join(ROOT, 'config/live.json'), '--to', '2024-01-10'], c.io)).toBe(0);
    expect(c.stderr()).toBe(`${FIXTURE}: 1m bars, the live.bar of ${join(ROOT, 'config/live.json')} (--bar overrides)\n`);
    expect(c.stdout()).toMatch(/long_into_fix\s+USDJPY/);
  });

  it('a MetaTrader file replays with no flag and says which zone it assumed; a tick file becomes bars', async () => {
    const mt4 = capture();
    expect(await runReplay([join(SAMPLES, 'mt4/USDJPY1.csv')], mt4.io)).toBe(0);
    expect(mt4.stderr()).toContain('MetaTrader 4 history export: the file does not say its zone; times read as America/New_York+7');
    const ticks = capture();
    expect(await runReplay([join(SAMPLES, 'truefx/USDJPY-2024-03.csv'), '--bar', '5m'], ticks.io)).toBe(0);
    expect(ticks.stdout()).toMatch(/^144 bars in /m);
  });

  it('messages name the flag', async () => {
    const c = capture();
    expect(await runReplay([join(SAMPLES, 'polygon/2024-03-08.csv.gz')], c.io)).toBe(2);
    expect(c.stderr()).toContain('the file has EURJPY bars but strategies "long_into_fix" (USDJPY), "short_after_fix" (USDJPY) trade another symbol; pass --symbol');
    const d = capture();
    expect(await runReplay([FIXTURE, '--bar', '7x'], d.io)).toBe(2);
    expect(d.stderr()).toContain("option '--bar <interval>' argument '7x' is invalid. expected a bar interval such as 1m, 5m, 15m, 1h, 4h or 1d");
  });
});

describe('npm run replay: several files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'replay-multi-'));
  const EURUSD = join(ROOT, 'fixtures/eurusd.parquet');
  const EURJPY = join(ROOT, 'fixtures/eurjpy.parquet');
  const MULTI = join(ROOT, 'config/multi.json');
  /** The report without its timing block, which alone may differ between runs. */
  const untimed = (file: string) => {
    const { run: _run, ...rest } = parseReplayReport(readFileSync(file, 'utf8'), file);
    return rest;
  };

  it('merges the files by event time, says how the cross is converted, and reports the same whatever the order of the files', async () => {
    const c = capture();
    const json = join(dir, 'multi.json');
    expect(await runReplay([FIXTURE, EURUSD, EURJPY, '--config', MULTI, '--to', '2024-02-01', '--json', json, '--no-progress'], c.io)).toBe(0);
    expect(c.stderr()).toBe('PnL JPY → USD for EURJPY: ÷ USDJPY (fills at the last close at or before them, marks at the latest)\n');
    for (const leg of ['long_into_fix\\s+USDJPY', 'eurusd_sma\\s+EURUSD', 'eurjpy_sma\\s+EURJPY']) expect(c.stdout()).toMatch(new RegExp(leg));
    const report = parseReplayReport(readFileSync(json, 'utf8'), json);
    expect(report.input).toBeUndefined();
    expect(report.inputs?.map((i) => [i.file, i.symbol])).toEqual([
      ['eurjpy.parquet', 'EURJPY'],
      ['eurusd.parquet', 'EURUSD'],
      ['usdjpy.parquet', 'USDJPY'],
    ]);
    const reversed = join(dir, 'reversed.json');
    expect(await runReplay([EURJPY, EURUSD, FIXTURE, '--config', MULTI, '--to', '2024-02-01', '--json', reversed, '--no-progress'], capture().io)).toBe(0);
    expect(untimed(reversed)).toEqual(untimed(json));
  });

  it('runs a strategy of the user’s that reads the legs of the cross it trades (examples/triangleSpread.json)', async () => {
    const c = capture();
    expect(await runReplay([FIXTURE, EURUSD, EURJPY, '--config', join(ROOT, 'examples/triangleSpread.json'), '--to', '2024-01-08', '--no-progress'], c.io)).toBe(0);
    expect(c.stdout()).toMatch(/^triangle\s+EURJPY\s+[1-9]/m);
  });

  it('takes a directory of files', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'replay-dir-'));
    for (const f of [FIXTURE, EURUSD, EURJPY]) copyFileSync(f, join(folder, basename(f)));
    writeFileSync(join(folder, 'notes.md'), 'not data');
    const c = capture();
    expect(await runReplay([folder, '--config', MULTI, '--to', '2024-01-15', '--no-progress'], c.io)).toBe(0);
    expect(c.stdout()).toMatch(/eurjpy_sma\s+EURJPY/);
  });

  it('runs a EUR account on USDJPY once EURUSD is given, and says what is missing without it', async () => {
    const eur = join(dir, 'eur.json');
    writeFileSync(
      eur,
      JSON.stringify({
        account: { currency: 'EUR', initialCash: 1_000_000 },
        strategies: [{ id: 'long_into_fix', type: 'gotobi', symbol: 'USDJPY', side: 'long', contracts: 1, entry: '01:00', exit: '09:55', timezone: 'Asia/Tokyo' }],
      }),
    );
    const alone = capture();
    expect(await runReplay([FIXTURE, '--config', eur, '--to', '2024-02-01', '--no-progress'], alone.io)).toBe(2);
    expect(alone.stderr()).toContain('cannot convert JPY to the account currency EUR for USDJPY: no rate can be derived from the symbols loaded (USDJPY); load EURJPY bars beside it');
    const both = capture();
    expect(await runReplay([FIXTURE, EURUSD, '--config', eur, '--to', '2024-02-01', '--no-progress'], both.io)).toBe(0);
    expect(both.stderr()).toContain('PnL JPY → EUR for USDJPY: ÷ its own price, then ÷ EURUSD');
    expect(both.stdout()).toMatch(/Account\s+\d+.*\n[\s\S]*Equity: 1,000,000\.00 EUR → /);
  });

  it('refuses what cannot be merged: --symbol with several files, a file twice, overlapping files of one symbol, a strategy without its file', async () => {
    const a = capture();
    expect(await runReplay([FIXTURE, EURUSD, '--symbol', 'USDJPY'], a.io)).toBe(2);
    expect(a.stderr()).toContain('--symbol names the bars of one file; with 2 files each file');
    const b = capture();
    expect(await runReplay([FIXTURE, FIXTURE], b.io)).toBe(2);
    expect(b.stderr()).toMatch(/usdjpy\.parquet is given twice/);
    const copy = join(dir, 'USDJPY-copy.parquet');
    copyFileSync(FIXTURE, copy);
    const c = capture();
    expect(await runReplay([FIXTURE, copy, '--to', '2024-01-03', '--no-progress'], c.io)).toBe(1);
    expect(c.stderr()).toMatch(
      /^invalid data: .*(usdjpy|USDJPY-copy)\.parquet: USDJPY bars of several files overlap \(its USDJPY bar at 2024-01-01T00:00:00\.000Z is not after the one at 2024-01-01T00:00:00\.000Z from .*(usdjpy|USDJPY-copy)\.parquet/,
    );
    const d = capture();
    expect(await runReplay([FIXTURE, EURUSD, '--config', MULTI, '--no-progress'], d.io)).toBe(2);
    expect(d.stderr()).toContain('the files have EURUSD, USDJPY bars but strategies "eurjpy_sma" (EURJPY) need other symbols; add their files or fix the config');
  });
});

describe('npm run replay: Ctrl-C and the progress bar', () => {
  /** A terminal stderr: escape codes are kept so the test can see the cursor and line wrap restored. */
  function terminal() {
    const out: string[] = [];
    const err: string[] = [];
    const signals = new EventEmitter();
    const stderr = { isTTY: true, columns: 100, write: (s: string): unknown => err.push(s) };
    return { io: { stdout: { write: (s: string) => out.push(s) }, stderr }, signals, stdout: () => out.join(''), stderr: () => err.join('') };
  }

  it('a text file gets a progress bar too, by megabytes read', async () => {
    const t = terminal();
    const code = await runReplay([join(ROOT, 'fixtures/samples/mt4/USDJPY1.csv')], t.io, t.signals);
    expect(t.stderr()).not.toMatch(/invalid data|error:/);
    expect(code).toBe(0);
    expect(t.stderr()).toMatch(/replay \[[=-]+\] \d+% \| [\d.]+\/0\.0 MB/);
    expect(t.stderr().endsWith('\x1b[?25h\x1b[?7h')).toBe(true);
  });

  it('stops, prints what was replayed so far, restores the cursor and line wrap, exits 130', async () => {
    const t = terminal();
    const write = t.io.stderr.write;
    let sent = false;
    t.io.stderr.write = (s: string) => {
      write(s);
      if (!sent && /replay \[.*\] [1-9]\d*%/.test(s)) {
        sent = true;
        setImmediate(() => t.signals.emit('SIGINT'));
      }
      return true;
    };
    const code = await runReplay([FIXTURE], t.io, t.signals);
    expect(code).toBe(130);
    expect(sent).toBe(true);
    const err = t.stderr();
    expect(err).toContain('\x1b[?25l'); // the bar hid the cursor…
    expect(err.slice(err.lastIndexOf('\x1b[?25l'))).toContain('\x1b[?25h'); // …and showed it again
    expect(err.slice(err.lastIndexOf('\x1b[?7l'))).toContain('\x1b[?7h'); // line wrap back on
    expect(err).toContain('SIGINT: stopping the replay (again to exit at once)');
    expect(t.stdout()).toMatch(/long_into_fix\s+USDJPY/);
    expect(t.stdout()).toMatch(/Interrupted after [\d,]+ bars, up to 2024-\d\d-\d\dT[\d:.]+Z: the figures above cover those bars only; no report file written\./);
  });
});
