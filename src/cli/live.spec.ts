import { afterEach, beforeAll, afterAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startFakeTws, type FakeTws } from '../testkit/fakeTws';
import type { LiveRunner } from '../live/liveRunner';
import { EXIT_DATA, EXIT_OK, EXIT_USAGE } from './io';
import { defaultJournalPath, liveLogRecord, readableLine, recoveryText, runLive, type StopSignal } from './live';
import { until } from '../../test/support/until';
import { closedPort } from '../../test/support/ports';

const ROOT = resolve(__dirname, '../..');
const shipped = JSON.parse(readFileSync(join(ROOT, 'config/live.json'), 'utf8')) as Record<string, unknown> & { live: Record<string, unknown> };
/** 2024-01-04T15:58:00Z: two minutes before 01:00 JST on 2024-01-05, a gotobi day. */
const FEED_START = Date.parse('2024-01-04T15:58:00Z') / 1000;

let dir: string;
let tws: FakeTws | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'live-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await tws?.close();
  tws = undefined;
});

function writeConfig(name: string, live: Record<string, unknown> = {}, top: Record<string, unknown> = {}): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ ...shipped, ...top, live: { ...shipped.live, commissionTimeoutMs: 500, cancelTimeoutMs: 2000, ...live } }));
  return path;
}

function captureIo() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } },
    stdout: () => out.join(''),
    stderr: () => err.join(''),
  };
}

const noSignals = { on: () => undefined, off: () => undefined };

describe('npm run live: arguments and config', () => {
  it('exits 2 on a bad config, naming the field and the rule', async () => {
    const cap = captureIo();
    const code = await runLive(['--config', writeConfig('bad.json', { bar: '7s' })], { io: cap.io, env: {}, signals: noSignals });
    expect(code).toBe(EXIT_USAGE);
    expect(cap.stderr()).toContain('live.bar: real-time bars come every 5 s: the bar must be a multiple of 5s, got "7s"');
  });

  it('exits 2 on a bad IB_* variable or an unknown option', async () => {
    const cap = captureIo();
    expect(await runLive(['--config', writeConfig('ok.json')], { io: cap.io, env: { IB_CLIENT_ID: '1.5' }, signals: noSignals })).toBe(EXIT_USAGE);
    expect(cap.stderr()).toContain('error: IB_CLIENT_ID: must be a whole number, got "1.5"');
    expect(await runLive(['--colour'], { io: captureIo().io, env: {}, signals: noSignals })).toBe(EXIT_USAGE);
    const http = captureIo();
    expect(await runLive(['--config', writeConfig('ok.json'), '--http', 'localhost:99999'], { io: http.io, env: {}, signals: noSignals })).toBe(EXIT_USAGE);
    expect(http.stderr()).toContain('error: --http: expected [host:]port such as 127.0.0.1:8080, got "localhost:99999"');
  });

  it('exits 1 with a clear message when TWS is not there', async () => {
    const port = await closedPort();
    const cap = captureIo();
    const code = await runLive(['--config', writeConfig('refused.json', { connectTimeoutMs: 300 }), '--journal', join(dir, 'refused.db')], { io: cap.io, env: { IB_PORT: String(port) }, signals: noSignals });
    expect(code).toBe(EXIT_DATA);
    expect(cap.stderr()).toContain(`error: cannot connect to TWS at 127.0.0.1:${port} (clientId 17) within 300 ms — is TWS/IB Gateway running with the API enabled?`);
  });
});

describe('npm run live: a session', () => {
  it('logs readable lines, stops on SIGINT, prints the summary table and writes the report', async () => {
    tws = await startFakeTws({ realTimeBars: { everyMs: 5, startTime: FEED_START }, fills: { price: 144.5, commission: 2, commissionCurrency: 'USD' } });
    const cap = captureIo();
    const signals = new EventEmitter();
    let runner: LiveRunner | undefined;
    const reportPath = join(dir, 'report.json');
    const config = writeConfig('session.json', {}, { interfaces: { http: { port: 9, logLevel: 'silent' } } });
    const exit = runLive(['--config', config, '--report', reportPath, '--http', '127.0.0.1:0', '--journal', 'none'], {
      io: cap.io,
      env: { IB_PORT: String(tws.port), IB_CLIENT_ID: '31' },
      signals: { on: (s: StopSignal, fn: () => void) => signals.on(s, fn), off: (s: StopSignal, fn: () => void) => signals.off(s, fn) },
      onStart: (r) => (runner = r),
    });
    await until(() => / fill /.test(cap.stdout()), 'a fill line');
    // Like Jupyter, the dashboard URL with the generated token on stderr; the log line has the address only.
    const dashboard = /^Dashboard: (http:\/\/127\.0\.0\.1:\d+)\/\?token=([A-Za-z0-9_-]{32})$/m.exec(cap.stderr());
    expect(dashboard).not.toBeNull();
    const [, url, token] = dashboard ?? [];
    expect(cap.stdout()).toContain(` http         url=${url}\n`);
    expect(cap.stdout()).not.toContain(token);
    expect((await fetch(`${url}/status`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    signals.emit('SIGINT');
    expect(await exit).toBe(EXIT_OK);
    const out = cap.stdout();
    expect(out).toMatch(/^2024-01-04T16:00:00\.000Z signal +strategyId=long_into_fix symbol=USDJPY target=1 reason=gotobi entry$/m);
    expect(out).toMatch(/ order +status=Accepted orderId=long_into_fix\.USDJPY\.20240104T160000Z\.1 strategyId=long_into_fix symbol=USDJPY side=BUY qty=100000 orderType=MARKET/);
    expect(out).toMatch(/ fill +execId=\S+ orderId=long_into_fix\.USDJPY\.20240104T160000Z\.1 strategyId=long_into_fix symbol=USDJPY side=BUY qty=100000 price=144.5 commission=289 reason=entry$/m);
    expect(out).toMatch(/ reconcile +account=DU1234567 positions=\[\{"symbol":"USDJPY","brokerQty":0,"bookQty":0,"brokerAvgPrice":0\}\] mismatches=\[\]$/m);
    // Warmed from TWS's history of the Tokyo day so far (00:00 JST = 15:00Z) before the first live bar.
    expect(out).toMatch(/ warmed long_into_fix on 58 bars 2024-01-04 15:00–15:58 UTC \(ibkr\), no target yet, book 0$/m);
    expect(out.indexOf(' warmed long_into_fix')).toBeLessThan(out.indexOf(' signal '));
    expect(out).toMatch(/^Strategy +Symbol +Trades/m);
    expect(out).toMatch(/^long_into_fix +USDJPY +0 /m);
    expect(cap.stderr()).toContain('SIGINT: shutting down (cancelling working orders, again to exit at once)');
    expect(cap.stderr()).toContain('warning: --journal none: nothing is journaled');
    const report = JSON.parse(readFileSync(reportPath, 'utf8')) as { strategies: { fills: { price: number; commission: number }[] }[] };
    expect(report.strategies[0].fills).toEqual([expect.objectContaining({ price: 144.5, commission: 289 })]);
    expect(runner?.connection.state().status).toBe('closed');
  });

  it('as a process: JSON lines on stdout, SIGINT cancels the working order, summary last, exit 0', async () => {
    tws = await startFakeTws({ realTimeBars: { everyMs: 10, startTime: FEED_START }, fills: { hold: true } });
    const config = writeConfig('process.json');
    const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), ['src/cli/live.ts', '--config', config, '--json-log', '--journal', join(dir, 'process.db')], {
      cwd: ROOT,
      env: { ...process.env, IB_PORT: String(tws.port), IB_CLIENT_ID: '41' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const records = () =>
      stdout
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { type: string } & Record<string, unknown>);
    try {
      await until(() => records().some((r) => r.type === 'order' && r.status === 'Submitted'), 'the order working at TWS', 12_000);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    const lines = records();
    for (const line of stdout.trim().split('\n')) expect(line.startsWith('{"type":"')).toBe(true);
    const types = lines.map((r) => r.type);
    expect(types.indexOf('reconcile')).toBeLessThan(types.indexOf('order'));
    expect(lines.filter((r) => r.type === 'warmed').map(({ ts: _ts, ...rest }) => rest)).toEqual(
      ['long_into_fix', 'short_after_fix'].map((strategyId) => ({
        type: 'warmed',
        strategyId,
        symbol: 'USDJPY',
        bars: 58,
        from: Date.parse('2024-01-04T15:00:00Z'),
        to: Date.parse('2024-01-04T15:58:00Z'),
        source: 'ibkr',
        target: null,
        position: 0,
      })),
    );
    expect(types.indexOf('warmed')).toBeLessThan(types.indexOf('order'));
    expect(lines.filter((r) => r.type === 'order').map((r) => r.status)).toEqual(['Accepted', 'Submitted', 'Cancelled']);
    expect(lines.filter((r) => r.type === 'shutdown').map((r) => r.phase)).toEqual(['stopping', 'cancelled', 'stopped']);
    const summary = lines[lines.length - 1];
    expect(summary).toMatchObject({
      type: 'summary',
      reason: 'SIGINT',
      account: { currency: 'USD', initialCash: 1_000_000, netPnl: 0 },
      strategies: [expect.objectContaining({ id: 'long_into_fix', fills: 0, position: 0 }), expect.objectContaining({ id: 'short_after_fix', fills: 0 })],
      stillWorking: [],
      positionMismatches: 0,
    });
    expect(tws.requestsOf('cancelOrder')).toHaveLength(1);
    expect(stderr).toMatch(/^Strategy +Symbol/m);
  }, 15_000);
});

describe('log records', () => {
  it('puts type first and uses stable field names', () => {
    const record = liveLogRecord({
      kind: 'fill',
      execId: 'e1',
      orderId: 'a-1',
      strategyId: 'a',
      symbol: 'USDJPY',
      ts: Date.UTC(2024, 0, 4, 16),
      side: 'BUY',
      qty: 100_000,
      price: 144.5,
      commission: 289,
      reason: 'entry',
    });
    expect(JSON.stringify(record)).toBe(
      '{"type":"fill","ts":1704384000000,"execId":"e1","orderId":"a-1","strategyId":"a","symbol":"USDJPY","side":"BUY","qty":100000,"price":144.5,"commission":289,"reason":"entry"}',
    );
    expect(readableLine(record ?? { type: 'x', ts: 0 })).toBe(
      '2024-01-04T16:00:00.000Z fill         execId=e1 orderId=a-1 strategyId=a symbol=USDJPY side=BUY qty=100000 price=144.5 commission=289 reason=entry',
    );
    const alert = liveLogRecord({ kind: 'error', ts: Date.UTC(2024, 0, 4, 16), strategyId: 'a', symbol: 'USDJPY', position: 100_000, message: 'no working stop-loss' });
    expect(readableLine(alert ?? { type: 'x', ts: 0 })).toBe('2024-01-04T16:00:00.000Z error        strategyId=a symbol=USDJPY position=100000 message=no working stop-loss');
    const bar = { kind: 'bar' as const, symbol: 'USDJPY', ts: 0, intervalMs: 60_000, open: 1, high: 1, low: 1, close: 1, volume: 0 };
    expect(liveLogRecord({ kind: 'mark', bar, equity: 5 })).toBeUndefined();
    expect(Object.keys(liveLogRecord({ kind: 'mark', bar, equity: 5 }, { bars: true }) ?? {})).toEqual([
      'type', 'ts', 'symbol', 'intervalMs', 'open', 'high', 'low', 'close', 'volume', 'equity',
    ]);
    const reconnect = liveLogRecord({ kind: 'connection', ts: 1, state: { status: 'disconnected', attempt: 2, retryInMs: 2000, reason: 'connection closed' } });
    expect(JSON.stringify(reconnect)).toBe('{"type":"connection","ts":1,"status":"disconnected","attempt":2,"retryInMs":2000,"reason":"connection closed"}');
  });

  it('names the default journal after the config, under data/, and words the recovery summary', () => {
    expect(defaultJournalPath('config/live.json')).toBe(resolve('data', 'live.journal.db'));
    expect(defaultJournalPath('/etc/engine/paper.json')).toBe(resolve('data', 'paper.journal.db'));
    const summary = {
      journal: '/srv/engine/data/live.journal.db',
      previousRun: { id: 3, startedAt: Date.UTC(2024, 0, 4, 15, 0), stoppedAt: null, stopReason: null },
      positionsRecovered: 1,
      fillsWhileDown: [
        { kind: 'fill' as const, execId: 'e1', orderId: 'a.USDJPY.20240104T160000Z.1', strategyId: 'a', symbol: 'USDJPY', ts: 0, side: 'BUY' as const, qty: 100_000, price: 144.2, commission: 0, reason: 'entry' as const },
      ],
      ordersAdopted: ['a.USDJPY.20240104T160000Z.1.sl'],
      ordersNotAtBroker: [],
      killSwitch: { on: true, reason: 'operator stop', since: 1, source: 'control' },
      stoppedSymbols: {},
    };
    expect(recoveryText(summary)).toBe(
      [
        'Recovery from /srv/engine/data/live.journal.db: run 3 started 2024-01-04T15:00:00.000Z, ended without a stop (killed or crashed)',
        '  positions recovered: 1',
        '  fills booked while down: BUY 100000 USDJPY @ 144.2 (a.USDJPY.20240104T160000Z.1)',
        '  orders re-adopted: a.USDJPY.20240104T160000Z.1.sl',
        '  orders TWS never got: none',
        '  kill switch: ON (operator stop)',
        '  not traded until reconciled: none',
        '',
      ].join('\n'),
    );
    expect(recoveryText({ ...summary, previousRun: undefined })).toBe('Recovery: a new journal, nothing to recover\n');
  });
});

