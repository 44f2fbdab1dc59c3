import { afterEach, describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import type { LiveRunner } from '../live/liveRunner';
import { makeBar } from '../testkit/marbles';
import { captureIo } from '../../test/support/cliCapture';
import { fiveSecondBars, runDemoLive } from './demoLive';
import { EXIT_OK, EXIT_USAGE } from './io';

const noSignals = new EventEmitter();

describe('npm run demo:live', () => {
  let runner: LiveRunner | undefined;
  afterEach(async () => {
    await runner?.shutdown('test cleanup').catch(() => undefined);
    runner = undefined;
  });

  it('starts the fake TWS and the engine with its dashboard, trades the gotobi morning and stops cleanly', async () => {
    const cap = captureIo();
    const seen: { status?: unknown; page?: number } = {};
    const code = await runDemoLive(['--speed', '600', '--exit-when-done'], {
      io: cap.io,
      env: { IB_PORT: '1' },
      signals: noSignals,
      onStart: (started) => {
        runner = started;
        started.events$.subscribe((event) => {
          if (event.kind !== 'http') return;
          const token = new URL(event.dashboardUrl).searchParams.get('token') ?? '';
          void (async () => {
            seen.page = (await fetch(`${event.url}/`)).status;
            seen.status = await (await fetch(`${event.url}/status`, { headers: { authorization: `Bearer ${token}` } })).json();
          })();
        });
      },
    });
    expect(code).toBe(EXIT_OK);
    expect(cap.stderr()).toMatch(/^Dashboard: http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{16,}$/m);
    expect(cap.stderr()).toMatch(/^Replaying 600 minutes of .*usdjpy\.parquet \(2024-01-04T15:30:00\.000Z → 2024-01-05T01:30:00\.000Z\) at 600 a second$/m);
    expect(seen.page).toBe(200);
    expect(seen.status).toMatchObject({ mode: 'live', strategies: ['long_into_fix', 'short_after_fix'] });
    // The morning's three orders filled at the fake TWS: long in at 01:00 JST, out at 09:55 when the short goes in.
    const fills = cap.stdout().split('\n').filter((line) => / fill /.test(line));
    expect(fills.map((line) => /strategyId=(\S+) .* side=(\S+) qty=(\d+)/.exec(line)?.slice(1))).toEqual([
      ['long_into_fix', 'BUY', '100000'],
      ['long_into_fix', 'SELL', '100000'],
      ['short_after_fix', 'SELL', '100000'],
    ]);
    expect(cap.stdout()).toMatch(/shutdown +phase=stopped stillWorking=\[\]/);
    expect(cap.stdout()).toMatch(/^long_into_fix +USDJPY +1 /m);
  });

  it('refuses a day that is not a gotobi day, naming the rule', async () => {
    const cap = captureIo();
    expect(await runDemoLive(['--day', '2024-01-09'], { io: cap.io, env: {}, signals: noSignals })).toBe(EXIT_USAGE);
    expect(cap.stderr()).toContain('--day: 2024-01-09 is not a gotobi day');
  });
});

describe('fiveSecondBars', () => {
  it('splits a 1-minute bar into twelve 5-second bars that rebuild it to the tick', () => {
    for (const bar of [
      makeBar({ symbol: 'USDJPY', ts: Date.UTC(2024, 0, 5), open: 140.1, high: 140.157, low: 140.083, close: 140.129 }),
      makeBar({ symbol: 'USDJPY', ts: Date.UTC(2024, 0, 5), open: 140.1, high: 140.101, low: 139.95, close: 139.97 }),
    ]) {
      const parts = fiveSecondBars(bar);
      expect(parts.map((p) => p.time * 1000)).toEqual(Array.from({ length: 12 }, (_, i) => bar.ts + i * 5000));
      expect([parts[0].open, Math.max(...parts.map((p) => p.high)), Math.min(...parts.map((p) => p.low)), parts[11].close]).toEqual([bar.open, bar.high, bar.low, bar.close]);
      for (let i = 1; i < 12; i++) expect(parts[i].open).toBe(parts[i - 1].close);
    }
  });
});
