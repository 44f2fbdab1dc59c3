import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { runReplay } from '../cli/replay';
import { runSweep } from '../cli/sweep';
import { loadRunnerConfig } from '../runner/config';
import { parseReplayReport } from '../runner/report/replayReport';
import { captureIo } from '../../test/support/cliCapture';
import { metricsOf } from './metrics';

const ROOT = join(__dirname, '..', '..');
const FILE = join(ROOT, 'fixtures', 'usdjpy.parquet');
const RANGE = ['--from', '2024-02-01T00:00:00Z', '--to', '2024-02-15T00:00:00Z'];

interface SweepDoc {
  readonly complete: boolean;
  readonly configs: number;
  readonly results: readonly { index: number; params: Record<string, number | string>; metrics?: Record<string, number | null>; error?: { message: string } }[];
  readonly walkForward?: {
    readonly windows: readonly { test: { from: string; to: string }; chosen: { params: Record<string, number> } | null; outOfSample: Record<string, number | null> | null }[];
    readonly stitched: Record<string, number | null>;
  };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sweep-spec-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The demo's two Gotobi legs plus an SMA cross, with commission and slippage, as a config file. */
function writeConfig(name: string, extra: Record<string, unknown> = {}): string {
  const demo = loadRunnerConfig(join(ROOT, 'config', 'gotobi.json'));
  const path = join(dir, name);
  writeFileSync(
    path,
    JSON.stringify({
      ...demo,
      broker: { commission: { perUnit: 0.00002 }, slippageTicks: 1 },
      strategies: [...demo.strategies, { id: 'sma', type: 'smaCross', symbol: 'USDJPY', fast: 20, slow: 50, contracts: 1 }],
      ...extra,
    }),
  );
  return path;
}

async function sweep(args: readonly string[], range: readonly string[] = RANGE): Promise<{ code: number; doc: SweepDoc; text: string; stdout: string }> {
  const json = join(dir, `sweep-${Math.random().toString(36).slice(2)}.json`);
  const capture = captureIo();
  const code = await runSweep([FILE, ...range, '--no-progress', '--json', json, ...args], capture.io);
  const text = readFileSync(json, 'utf8');
  return { code, doc: JSON.parse(text) as SweepDoc, text, stdout: capture.stdout() };
}

/** The account figures `npm run replay` reports for a config, read from its --json. */
async function replayMetrics(config: string, range: readonly string[] = RANGE): Promise<Record<string, number | null>> {
  const json = join(dir, `replay-${Math.random().toString(36).slice(2)}.json`);
  const capture = captureIo();
  expect(await runReplay([FILE, '--config', config, '--no-progress', '--json', json, ...range], capture.io)).toBe(0);
  return metricsOf(parseReplayReport(readFileSync(json, 'utf8')).account) as Record<string, number | null>;
}

/** The base config with one row's grid values applied (`sma.fast`, `rsi.bracket.stopLossTicks`), as a file for `npm run replay`. */
function configFor(base: string, params: Record<string, number | string>, name: string): string {
  const doc = JSON.parse(readFileSync(base, 'utf8')) as { strategies: Record<string, unknown>[] };
  for (const [key, value] of Object.entries(params)) {
    const [id, ...path] = key.split('.');
    let target = doc.strategies.find((s) => s.id === id)!;
    for (const segment of path.slice(0, -1)) target = (target[segment] ??= {}) as Record<string, unknown>;
    target[path[path.length - 1]] = value;
  }
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

describe('npm run sweep', () => {
  it('gives each config exactly the figures npm run replay reports for it, whichever configs share its pass', async () => {
    const base = writeConfig('base.json');
    const { code, doc } = await sweep(['--config', base, '--grid', 'sma.fast=5,20', '--grid', 'sma.slow=30,50', '--grid', 'short_after_fix.side=short,long', '--workers', '2']);
    expect(code).toBe(0);
    expect(doc.results).toHaveLength(8);
    for (const row of doc.results.filter((_, i) => i % 3 === 0)) {
      expect(row.metrics).toEqual(await replayMetrics(configFor(base, row.params, `row-${row.index}.json`)));
    }
    // The grid really varies the figures.
    expect(new Set(doc.results.map((r) => r.metrics?.netPnl)).size).toBe(8);
  });

  it('runs a config with account-wide limits alone, with the same figures as its replay', async () => {
    const base = writeConfig('limits.json', { risk: { maxPositionContracts: 1, maxDailyLoss: 500 } });
    const { doc } = await sweep(['--config', base, '--grid', 'sma.fast=5,10']);
    for (const row of doc.results) expect(row.metrics).toEqual(await replayMetrics(configFor(base, row.params, `limits-${row.index}.json`)));
  });

  it('sweeps bracket ticks (config/gotobi-bracket.json) beside maxLossPerTradeTicks, each config with its replay figures', async () => {
    const quarter = ['--from', '2024-01-01T00:00:00Z', '--to', '2024-04-01T00:00:00Z'];
    const bracket = JSON.parse(readFileSync(join(ROOT, 'config', 'gotobi-bracket.json'), 'utf8')) as Record<string, unknown>;
    const base = join(dir, 'bracket.json');
    // 400 ticks at most between an entry and its stop: a 500-tick stop-loss is refused, and with it every entry of that leg.
    writeFileSync(base, JSON.stringify({ ...bracket, risk: { maxLossPerTradeTicks: 400 } }));
    const grid = ['--grid', 'long_into_fix.bracket.stopLossTicks=150,300,500', '--grid', 'short_after_fix.bracket.takeProfitTicks=200,450'];
    const { code, doc } = await sweep(['--config', base, ...grid, '--workers', '2'], quarter);
    expect(code).toBe(0);
    expect(doc.results).toHaveLength(6);
    for (const row of doc.results) expect(row.metrics).toEqual(await replayMetrics(configFor(base, row.params, `bracket-${row.index}.json`), quarter));
    expect(new Set(doc.results.map((r) => r.metrics?.netPnl)).size).toBe(6);
    const refusedLong = doc.results.filter((r) => r.params['long_into_fix.bracket.stopLossTicks'] === 500);
    const plain = doc.results.filter((r) => r.params['long_into_fix.bracket.stopLossTicks'] === 300);
    expect(refusedLong.map((r) => r.metrics?.trades)).toEqual(plain.map((r) => (r.metrics?.trades ?? 0) / 2));
  });

  it("sweeps a user's strategy module by its params and bracket, in worker threads, each config with its replay figures", async () => {
    const base = join(dir, 'rsi.json');
    // The module path is relative to the config file, as a user writes it.
    const module = relative(dir, join(ROOT, 'examples', 'strategies', 'rsiRevert.ts'));
    writeFileSync(base, JSON.stringify({ account: { currency: 'USD', initialCash: 1_000_000 }, strategies: [{ id: 'rsi', module, symbol: 'USDJPY', params: { period: 14, breakEvenTicks: 100 }, bracket: { stopLossTicks: 200 } }] }));
    const { code, doc } = await sweep(['--config', base, '--grid', 'rsi.period=7,14', '--grid', 'rsi.params.upper=70,80', '--grid', 'rsi.bracket.stopLossTicks=100,200', '--workers', '2']);
    expect(code).toBe(0);
    expect(doc.results.map((r) => r.error)).toEqual(new Array(8).fill(undefined));
    for (const row of doc.results.filter((_, i) => i % 3 === 0)) {
      const params = Object.fromEntries(Object.entries(row.params).map(([key, value]) => [key === 'rsi.period' ? 'rsi.params.period' : key, value]));
      expect(row.metrics).toEqual(await replayMetrics(configFor(base, params, `rsi-${row.index}.json`)));
    }
    expect(new Set(doc.results.map((r) => r.metrics?.netPnl)).size).toBe(8);
  });

  it('writes the same JSON bytes on 1 and 2 workers, and lists a refused config without stopping', async () => {
    const base = writeConfig('workers.json');
    const args = ['--config', base, '--grid', 'sma.fast=5..45:20', '--grid', 'sma.slow=30,50'];
    const one = await sweep([...args, '--workers', '1']);
    const two = await sweep([...args, '--workers', '2']);
    expect(two.text).toBe(one.text);
    const refused = one.doc.results.find((r) => r.params['sma.fast'] === 45 && r.params['sma.slow'] === 30);
    expect(refused?.error?.message).toMatch(/strategies\[2\]\.fast: fast \(45\) must be less than slow \(30\)/);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/^#\s+sma\.fast\s+sma\.slow\s+Sharpe/m);
  });

  it('stops on Ctrl-C, keeps what finished and says the JSON is not complete', async () => {
    const base = writeConfig('stop.json');
    const signals = new EventEmitter();
    const capture = captureIo();
    const json = join(dir, 'stopped.json');
    const stderr = capture.io.stderr;
    const io = { ...capture.io, stderr: { write: (s: string) => (s.includes('read once') && setImmediate(() => signals.emit('SIGINT')), stderr.write(s)) } };
    const code = await runSweep([FILE, ...RANGE, '--no-progress', '--config', base, '--grid', 'sma.fast=2..40:2', '--json', json], io, signals);
    expect(code).toBe(130);
    const doc = JSON.parse(readFileSync(json, 'utf8')) as SweepDoc;
    expect(doc.complete).toBe(false);
    expect(doc.results.length).toBeLessThan(doc.configs);
    expect(capture.stderr()).toMatch(/SIGINT: stopping the sweep, keeping the configs already done/);
  });

  it('walks forward: out of sample, each window runs the config chosen in sample, as npm run replay would', async () => {
    const base = writeConfig('wf.json');
    const capture = captureIo();
    const json = join(dir, 'wf-out.json');
    const args = [FILE, '--no-progress', '--config', base, '--grid', 'sma.fast=5,20', '--grid', 'sma.slow=30,60', '--walk-forward', 'train=2mo,test=1mo', '--json', json];
    expect(await runSweep(args, capture.io)).toBe(0);
    const doc = JSON.parse(readFileSync(json, 'utf8')) as SweepDoc;
    const windows = doc.walkForward!.windows;
    expect(windows.length).toBe(4);
    expect(capture.stdout()).toMatch(/IN-SAMPLE/);
    const window = windows[1];
    const from = `${window.test.from.slice(0, 10)}T00:00:00Z`;
    const chosen = configFor(base, window.chosen!.params, 'wf-chosen.json');
    const to = new Date(Date.parse(window.test.to) + 60_000).toISOString();
    expect(window.outOfSample).toEqual(await replayMetrics(chosen, ['--from', from, '--to', to]));
    const sum = windows.reduce((total, w) => total + (w.outOfSample?.netPnl ?? 0), 0);
    expect(doc.walkForward!.stitched.netPnl).toBeCloseTo(sum, 6);
  });
});
