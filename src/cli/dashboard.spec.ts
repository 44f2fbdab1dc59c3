import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { HttpApi } from '../control/httpApi';
import type { EngineStatus, PnlSummary } from '../control/control';
import type { Position } from '../core/types';
import { parseReplayReport } from '../runner/report/replayReport';
import { captureIo } from '../../test/support/cliCapture';
import { until } from '../../test/support/until';
import { runDashboard } from './dashboard';
import { runReplay } from './replay';

/** `npm run dashboard`'s arguments, and a replay's report served read-only through the API. */
const FIXTURE = resolve(__dirname, '../../fixtures/usdjpy.parquet');

let dir: string;
let reportFile: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dashboard-cli-'));
  reportFile = join(dir, 'report.json');
  expect(await runReplay([FIXTURE, '--from', '2024-01-04T12:00:00Z', '--to', '2024-01-05T03:00:00Z', '--json', reportFile, '--no-progress'], captureIo().io)).toBe(0);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = async (argv: readonly string[]): Promise<{ code: number; stderr: string }> => {
  const cap = captureIo();
  const code = await runDashboard(argv, { io: cap.io, signals: new EventEmitter() });
  return { code, stderr: cap.stderr() };
};

describe('npm run dashboard', () => {
  it('wants exactly one of --journal and --report (exit 2)', async () => {
    expect(await run([])).toEqual({ code: 2, stderr: 'error: give exactly one of --journal <file> and --report <file>\n' });
    expect(await run(['--journal', 'day.db', '--report', reportFile])).toEqual({ code: 2, stderr: 'error: give exactly one of --journal <file> and --report <file>\n' });
  });

  it('names the file and the field of a bad report (exit 1)', async () => {
    const bad = join(dir, 'bad.json');
    const doc = JSON.parse(readFileSync(reportFile, 'utf8')) as { account: { currency?: string } };
    delete doc.account.currency;
    writeFileSync(bad, JSON.stringify(doc));
    const { code, stderr } = await run(['--report', bad]);
    expect(code).toBe(1);
    expect(stderr).toMatch(new RegExp(`^invalid data: not a replay report: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: account\\.currency: `));
  });

  it('warns when --data is not the file the report replayed (by its SHA-256), and serves the page all the same', async () => {
    /** Runs the command until the page is served, stops it, and returns its stderr. */
    const serveOnce = async (argv: readonly string[]): Promise<string> => {
      const signals = new EventEmitter();
      const cap = captureIo();
      let served = false;
      const done = runDashboard(argv, { io: cap.io, signals, onServing: () => (served = true) });
      await until(() => served, 'the page served', 20_000);
      signals.emit('SIGINT');
      expect(await done).toBe(0);
      return cap.stderr();
    };
    const other = resolve(__dirname, '../../fixtures/eurusd.parquet');
    const report = parseReplayReport(readFileSync(reportFile, 'utf8'));
    expect(await serveOnce(['--report', reportFile, '--data', other])).toContain(
      `warning: --data ${other} is not a file this report replayed (usdjpy.parquet, sha256 ${report.input?.sha256.slice(0, 12)}…)`,
    );
    expect(await serveOnce(['--report', reportFile, '--data', FIXTURE])).not.toContain('warning');
  });

  it("serves a multi-symbol replay's report with its files as --data (the rate pair among them): the report's equity", async () => {
    const files = ['usdjpy', 'eurusd', 'eurjpy'].map((name) => resolve(__dirname, `../../fixtures/${name}.parquet`));
    const multiFile = join(dir, 'multi.json');
    const config = resolve(__dirname, '../../config/multi.json');
    expect(await runReplay([...files, '--config', config, '--from', '2024-01-08T00:00:00Z', '--to', '2024-01-13T00:00:00Z', '--json', multiFile, '--no-progress'], captureIo().io)).toBe(0);
    const report = parseReplayReport(readFileSync(multiFile, 'utf8'));
    expect(new Set(report.strategies.filter((s) => s.fills.length > 0).map((s) => s.symbol)).size).toBeGreaterThan(1);
    const signals = new EventEmitter();
    const cap = captureIo();
    let served: HttpApi | undefined;
    const done = runDashboard(['--report', multiFile, '--data', ...files], { io: cap.io, signals, onServing: (api) => (served = api) });
    try {
      await until(() => served !== undefined, 'the page served', 20_000);
      const api = served as HttpApi;
      expect(cap.stderr()).not.toContain('warning');
      const pnl = (await (await fetch(`${api.url}/pnl`, { headers: { authorization: `Bearer ${api.token}` } })).json()) as PnlSummary;
      expect(pnl.equity?.equity).toBeCloseTo(report.account.finalEquity, 6);
    } finally {
      signals.emit('SIGINT');
      expect(await done).toBe(0);
    }
  });

  it("serves a replay's report read-only: its figures on /status and /pnl, changes refused with 409", async () => {
    const report = parseReplayReport(readFileSync(reportFile, 'utf8'));
    const signals = new EventEmitter();
    const cap = captureIo();
    let served: HttpApi | undefined;
    const done = runDashboard(['--report', reportFile, '--data', FIXTURE], { io: cap.io, signals, onServing: (api) => (served = api) });
    try {
      await until(() => served !== undefined, 'the page served', 20_000);
      const api = served as HttpApi;
      expect(cap.stderr()).toContain(`Dashboard (read-only, ${reportFile}): ${api.dashboardUrl}`);
      const get = async <T>(path: string): Promise<T> => (await (await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${api.token}` } })).json()) as T;
      expect(await get<EngineStatus>('/status')).toMatchObject({ mode: 'report', connection: 'report', accountCurrency: report.account.currency });
      const pnl = await get<PnlSummary>('/pnl');
      expect(pnl.equity?.equity).toBeCloseTo(report.account.finalEquity, 6);
      const { positions } = await get<{ positions: Position[] }>('/positions');
      expect(positions.map((p) => [p.strategyId, p.qty])).toEqual(report.strategies.map((s) => [s.id, s.position?.qty ?? 0]));
      const changes: readonly (readonly [string, object])[] = [
        ['/kill', { on: true, reason: 'test' }],
        ['/flatten', {}],
        ['/resume', {}],
      ];
      for (const [path, body] of changes) {
        const answer = await fetch(`${api.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
        expect([path, answer.status]).toEqual([path, 409]);
        expect(await answer.json()).toMatchObject({ error: { code: 'READ_ONLY' } });
      }
    } finally {
      signals.emit('SIGINT');
      expect(await done).toBe(0);
    }
  });
});
