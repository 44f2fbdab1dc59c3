import { join } from 'node:path';
import { loadContracts } from '../core/contracts';
import { ConfigError } from '../core/errors';
import { replayFile } from '../data/replay';
import { loadRunnerConfig, parseRunnerConfig, type RunnerConfig } from './config';
import { runPool, type PoolJob, type PoolResult } from './pool';
import type { ReplayReport } from './report/replayReport';
import { runTradeRunner } from './tradeRunner';

const ROOT = join(__dirname, '..', '..');
const FILE = join(ROOT, 'fixtures', 'usdjpy.parquet');
const DEMO_CONFIG = join(ROOT, 'config', 'gotobi.json');
/** A strategy in a TypeScript module of the user's, loaded by each worker thread. */
const USER_MODULE_CONFIG = join(ROOT, 'examples', 'rsiRevert.json');
const FROM = Date.UTC(2024, 1, 1);
const TO = Date.UTC(2024, 1, 15);

const base = loadRunnerConfig(DEMO_CONFIG);
const smaConfig = (fast: number, slow: number): RunnerConfig =>
  parseRunnerConfig({
    ...base,
    strategies: [...base.strategies, { id: 'sma', type: 'smaCross', symbol: 'USDJPY', fast, slow, contracts: 1 }],
  });

const grid: PoolJob[] = [
  [5, 20],
  [10, 30],
  [20, 50],
  [30, 90],
].map(([fast, slow]) => ({ id: `sma-${fast}-${slow}`, file: FILE, config: smaConfig(fast, slow), from: FROM, to: TO }));

/** The report without its wall-clock block, the only part that may differ between runs. */
const withoutRun = ({ run: _run, ...rest }: ReplayReport): Omit<ReplayReport, 'run'> => rest;

async function inProcess(job: PoolJob): Promise<ReplayReport> {
  const config = typeof job.config === 'string' ? loadRunnerConfig(job.config) : job.config;
  const bars$ = replayFile(job.file, { from: job.from as number, to: job.to as number });
  return (await runTradeRunner({ config, contracts: loadContracts(), bars$ }).result).report;
}

function reportOf(result: PoolResult): ReplayReport {
  if (!result.ok) throw new Error(`job ${result.id} failed: ${result.error.message}`);
  return result.report;
}

describe('runPool', () => {
  // One pool run (two worker threads) serves the assertions below: starting workers is the slow part.
  let results: PoolResult[];
  const finished: number[] = [];
  const jobs: PoolJob[] = [
    ...grid,
    { id: 'missing-file', file: join(ROOT, 'fixtures', 'no-such-file.parquet'), config: DEMO_CONFIG },
    { id: 'bad-config', file: FILE, config: { ...base, strategies: [{ ...base.strategies[0], side: 'sideways' }] } as unknown as RunnerConfig },
    { id: 'demo-by-path', file: FILE, config: DEMO_CONFIG, from: '2024-02-01T00:00:00Z', to: '2024-02-15T00:00:00Z' },
    { id: 'no-file-field', config: DEMO_CONFIG } as unknown as PoolJob,
    { id: 'user-module', file: FILE, config: USER_MODULE_CONFIG, from: FROM, to: TO },
  ];

  beforeAll(async () => {
    results = await runPool(jobs, { workers: 2, onResult: (_result, index) => finished.push(index) });
  });

  it('returns one result per job, in job order, and reports each as it finishes', () => {
    expect(results.map((r) => r.id)).toEqual(jobs.map((j) => j.id));
    expect([...finished].sort((a, b) => a - b)).toEqual(jobs.map((_job, index) => index));
  });

  it('gives exactly the reports of in-process runs (the run block aside)', async () => {
    for (let i = 0; i < grid.length; i++) {
      const pooled = reportOf(results[i]);
      expect(pooled.run.bars).toBe(14_397);
      expect(withoutRun(pooled)).toEqual(withoutRun(await inProcess(grid[i])));
    }
    // The grid really varies: the smaCross legs trade differently.
    const smaTrades = grid.map((_job, i) => reportOf(results[i]).strategies.find((s) => s.id === 'sma')?.trades.length);
    expect(new Set(smaTrades).size).toBe(grid.length);
  });

  it('reads a config path and ISO-8601 from/to as the CLI does', async () => {
    const byPath = reportOf(results[6]);
    expect(withoutRun(byPath)).toEqual(withoutRun(await inProcess({ id: 'x', file: FILE, config: DEMO_CONFIG, from: FROM, to: TO })));
    const validation = results[6].ok ? results[6].validation : undefined;
    expect(validation).toMatchObject({ rowsEmitted: 14_397, rowsSkipped: 0, firstTs: byPath.period?.firstBarTs });
  });

  it('reports a failing job with its DataError/ConfigError message and runs the others', () => {
    expect(results[4]).toEqual({
      id: 'missing-file',
      ok: false,
      error: { name: 'DataError', message: `${jobs[4].file}: cannot open file (ENOENT)` },
    });
    expect(results[5]).toMatchObject({ id: 'bad-config', ok: false, error: { name: 'ConfigError' } });
    expect(!results[5].ok && results[5].error.message).toMatch(/^job "bad-config" config: strategies\[0\]\.side: /);
    expect(results[7]).toMatchObject({ id: 'no-file-field', ok: false, error: { name: 'ConfigError' } });
    expect(!results[7].ok && results[7].error.message).toMatch(/^job 7 \(no-file-field\): file: /);
  });

  it('runs a strategy from the user’s own TypeScript module in a worker, as in-process', async () => {
    const pooled = reportOf(results[8]);
    expect(pooled.strategies[0].trades.length).toBeGreaterThan(0);
    expect(withoutRun(pooled)).toEqual(withoutRun(await inProcess(jobs[8])));
  });

  it('refuses bad pool options with a ConfigError', async () => {
    await expect(runPool(grid, { workers: 0 })).rejects.toThrow(ConfigError);
    await expect(runPool(grid, { workers: 0 })).rejects.toThrow(/^pool options: workers: /);
  });

  it('resolves an empty job list without starting a worker', async () => {
    await expect(runPool([], { workers: 2 })).resolves.toEqual([]);
  });
});
