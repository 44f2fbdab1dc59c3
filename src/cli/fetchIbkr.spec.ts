import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readBarsParquet } from '../data/dataStore';
import { startFakeTws, type FakeTws } from '../testkit/fakeTws';
import { runFetchIbkr, type FetchCliContext } from './fetchIbkr';

const unpaced = { windowMs: 1, maxPerWindow: 1000, identicalMs: 0, perContractWindowMs: 1, perContractMax: 1000 };

let tws: FakeTws | undefined;
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fetch-ibkr-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await tws?.close();
  tws = undefined;
});

/** A context whose output is kept line by line. */
function io(env: NodeJS.ProcessEnv = {}): FetchCliContext & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const lines = (into: string[]) => (text: string) => into.push(...text.replace(/\n$/, '').split('\n'));
  return { out, err, io: { stdout: { write: lines(out) }, stderr: { write: lines(err) } }, env, pacing: unpaced };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  await new Promise<void>((r) => server.close(() => r()));
  return typeof address === 'object' && address ? address.port : 1;
}

describe('fetch:ibkr', () => {
  it('fetches into Parquet with host/port/client id from the environment, reporting progress on stderr', async () => {
    tws = await startFakeTws();
    const out = join(dir, 'usdjpy.parquet');
    const cli = io({ IB_HOST: '127.0.0.1', IB_PORT: String(tws.port), IB_CLIENT_ID: '44' });
    const args = ['--symbol', 'USDJPY', '--bar', '1h', '--from', '2024-01-03', '--to', '2024-01-05', '--what', 'MIDPOINT', '--out', out];
    expect(await runFetchIbkr(args, cli)).toBe(0);
    expect(JSON.parse(cli.out[0])).toEqual({ out, symbol: 'USDJPY', bar: '1h', chunks: 1, requests: 1, bars: 48, rows: 48, aborted: false });
    expect(cli.err).toContain('1 request(s)');
    expect(cli.err).toContain('[1/1] 2024-01-03T00:00:00.000Z..2024-01-05T00:00:00.000Z: 48 bars');
    expect(tws.requestsOf('startApi').map((r) => r.request)).toEqual([{ type: 'startApi', clientId: 44, optionalCapabilities: '' }]);
    const bars = await readBarsParquet(out);
    expect(bars).toHaveLength(48);
    expect(bars[0]).toMatchObject({ symbol: 'USDJPY', ts: Date.UTC(2024, 0, 3), intervalMs: 3_600_000 });

    const again = io();
    expect(await runFetchIbkr([...args, '--port', String(tws.port), '--to', '2024-01-06'], again)).toBe(0);
    expect(again.err).toContain('resuming: the file has 48 bars 2024-01-03T00:00:00.000Z..2024-01-04T23:00:00.000Z; 1 request(s) for the rest');
    expect(JSON.parse(again.out[0])).toMatchObject({ bars: 24, rows: 72 });
  });

  it('exits 2 with a clear message on bad arguments', async () => {
    const cases: [string[], string][] = [
      [['--symbol', 'USDJPY', '--bar', '7m', '--from', '2024-01-01', '--to', '2024-01-02', '--out', 'x.parquet'], 'fetch:ibkr: --bar: unknown bar size "7m"'],
      [['--symbol', 'XAUXAG', '--bar', '1m', '--from', '2024-01-01', '--to', '2024-01-02', '--out', 'x.parquet'], 'fetch:ibkr: unknown symbol "XAUXAG"'],
      [['--symbol', 'USDJPY', '--bar', '1m', '--from', '2024-01-02', '--to', '2024-01-01', '--out', 'x.parquet'], 'is not before --to'],
      [['--symbol', 'USDJPY', '--bar', '1m', '--from', 'yesterday', '--to', '2024-01-01', '--out', 'x.parquet'], '"yesterday" is not a date'],
      [['--symbol', 'USDJPY', '--bar', '1m', '--from', '2024-01-01', '--to', '2024-01-02', '--out', 'x.parquet', '--what', 'LAST'], '--what: "LAST" is not one of'],
    ];
    for (const [args, message] of cases) {
      const cli = io();
      expect(await runFetchIbkr(args, cli)).toBe(2);
      expect(cli.err.join('\n')).toContain(message);
    }
  });

  it('exits 1 naming host, port and client id when TWS cannot be reached', async () => {
    const port = await closedPort();
    const cli = io();
    const code = await runFetchIbkr(
      ['--symbol', 'USDJPY', '--bar', '1h', '--from', '2024-01-03', '--to', '2024-01-04', '--out', join(dir, 'none.parquet'), '--port', String(port), '--connect-attempts', '1'],
      cli,
    );
    expect(code).toBe(1);
    expect(cli.err.at(-1)).toMatch(new RegExp(`^fetch:ibkr: gave up after 1 attempt\\(s\\) to reach TWS at 127.0.0.1:${port} \\(clientId 17\\)`));
  });

  it('runs as `npm run fetch:ibkr` does (tsx entry point)', async () => {
    tws = await startFakeTws();
    const out = join(dir, 'cli.parquet');
    const root = resolve(__dirname, '../..');
    const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number }>((done) => {
      execFile(
        process.execPath,
        [join(root, 'node_modules/tsx/dist/cli.mjs'), 'historical_data_services/ibkr_data_fetch.ts', '--symbol', 'USDJPY', '--bar', '1d', '--from', '2024-01-01', '--to', '2024-01-11', '--out', out, '--port', String(tws?.port)],
        { cwd: root, env: { ...process.env, IB_HOST: '', IB_PORT: '', IB_CLIENT_ID: '' } },
        (error, stdout, stderr) => done({ stdout, stderr, code: error ? Number(error.code ?? 1) : 0 }),
      );
    });
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(stdout)).toMatchObject({ symbol: 'USDJPY', bar: '1d', bars: 10, rows: 10 });
    expect((await readBarsParquet(out)).map((b) => b.ts)).toEqual(Array.from({ length: 10 }, (_, i) => Date.UTC(2024, 0, 1 + i)));
  }, 20_000);
});
