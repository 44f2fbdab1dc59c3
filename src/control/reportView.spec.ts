import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { runReplay } from '../cli/replay';
import { loadContracts } from '../core/contracts';
import { DataError } from '../core/errors';
import type { Bar, Position } from '../core/types';
import { replayFile } from '../data/replay';
import { parseReplayReport, type ReplayReport } from '../runner/report/replayReport';
import { captureIo } from '../../test/support/cliCapture';
import { ReadOnlyError, type ControlEvent } from './control';
import { createReportView, readReplayReport } from './reportView';

/**
 * The report view against a report `npm run replay` wrote: the gotobi day of 2024-01-05 with a commission, cut at
 * 03:00 UTC so `short_after_fix` is left short (an unrealized PnL to show) and `long_into_fix` flat with a closed
 * trade. The view's positions, PnL and equity must be the report's, in the account currency (USD, the quote JPY).
 */
const FIXTURE = resolve(__dirname, '../../fixtures/usdjpy.parquet');
const FROM = '2024-01-04T12:00:00Z';
const TO = '2024-01-05T03:00:00Z';
const contracts = loadContracts();

let dir: string;
let reportFile: string;
let report: ReplayReport;
let bars: Bar[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'report-view-'));
  const config = join(dir, 'config.json');
  const defaults = JSON.parse(readFileSync(resolve(__dirname, '../../config/gotobi.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(config, JSON.stringify({ ...defaults, broker: { commission: { perContract: 250 } } }));
  reportFile = join(dir, 'report.json');
  const cap = captureIo();
  expect(await runReplay([FIXTURE, '--from', FROM, '--to', TO, '--config', config, '--json', reportFile, '--no-progress'], cap.io)).toBe(0);
  report = parseReplayReport(readFileSync(reportFile, 'utf8'));
  bars = await lastValueFrom(replayFile(FIXTURE, { from: Date.parse(FROM), to: Date.parse(TO) }).pipe(toArray()));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const positionOf = (positions: readonly Position[], strategyId: string): Position => {
  const p = positions.find((q) => q.strategyId === strategyId);
  if (p === undefined) throw new Error(`no position of ${strategyId}`);
  return p;
};

describe('createReportView', () => {
  it('the run is what the spec needs: one strategy flat after a trade, one left open, commission paid', () => {
    const [long, short] = report.strategies;
    expect(long.position).toBeNull();
    expect(long.trades).toHaveLength(1);
    expect(short.position?.qty).toBe(-100_000);
    expect(short.position?.unrealizedPnl).not.toBe(0);
    expect(report.strategies.flatMap((s) => s.fills).every((f) => f.commission > 0)).toBe(true);
  });

  it.each([
    ['with the bars of the file', true],
    ['with the fills only', false],
  ])('shows the positions, PnL and equity of the report, in its account currency (%s)', (_name, withBars) => {
    const view = createReportView(report, { contracts, ...(withBars ? { bars } : {}) });
    const status = view.status();
    expect(status).toMatchObject({ mode: 'report', connection: 'report', accountCurrency: 'USD', strategies: ['long_into_fix', 'short_after_fix'] });
    const pnl = view.pnl();
    expect(pnl.accountCurrency).toBe('USD');
    expect(pnl.equity?.equity).toBeCloseTo(report.account.finalEquity, 6);
    const positions = view.positions();
    for (const s of report.strategies) {
      const p = positionOf(positions, s.id);
      const commission = s.fills.reduce((sum, f) => sum + f.commission, 0);
      expect(p.commission).toBeCloseTo(commission, 9);
      if (s.position === null) {
        expect(p.qty).toBe(0);
        // Closed trades only: gross and net of commission, in the quote currency; the account currency's net.
        expect(p.realizedPnl).toBeCloseTo(s.totals.grossPnl, 6);
        expect(p.realizedPnl - p.commission).toBeCloseTo(s.totals.netPnl, 6);
        const strategyPnl = pnl.strategies.find((x) => x.strategyId === s.id);
        expect(strategyPnl?.unrealizedAccount).toBe(0);
      } else {
        expect(p.qty).toBe(s.position.qty);
        expect(p.avgPrice).toBe(s.position.avgPrice);
        expect(p.realizedPnl).toBeCloseTo(s.position.realizedPnl, 6);
        expect(p.realizedPnlAccount).toBeCloseTo(s.position.realizedPnlAccount, 6);
        expect(p.unrealizedPnl).toBeCloseTo(s.position.unrealizedPnl, 6);
        expect(p.unrealizedPnlAccount).toBeCloseTo(s.position.unrealizedPnlAccount, 6);
      }
    }
    // Realized and unrealized of every strategy, net of commission in the account currency: the account's result.
    const commissionAccount = positions.reduce((sum, p) => sum + (p as Position & { commissionAccount: number }).commissionAccount, 0);
    expect(pnl.totalAccount - commissionAccount).toBeCloseTo(report.account.netPnl, 6);
    expect(report.strategies.reduce((sum, s) => sum + s.netPnlAccount, 0)).toBeCloseTo(report.account.netPnl, 6);
  });

  it('replays the fills in time order, each followed by the book with the equity after it, the final book last', () => {
    const view = createReportView(report, { contracts, bars });
    const events = view.recentEvents();
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const fills = events.filter((e): e is Extract<ControlEvent, { kind: 'fill' }> => e.kind === 'fill');
    const reported = report.strategies.flatMap((s) => s.fills).sort((a, b) => a.ts - b.ts);
    expect(fills.map((e) => e.fill.execId)).toEqual(reported.map((f) => f.execId));
    expect(view.fills().map((f) => [f.strategyId, f.side, f.qty, f.price])).toEqual([
      ['long_into_fix', 'BUY', 100_000, reported[0].price],
      ['long_into_fix', 'SELL', 100_000, reported[1].price],
      ['short_after_fix', 'SELL', 100_000, reported[2].price],
    ]);
    for (const fill of fills) {
      const next = events[events.indexOf(fill) + 1];
      expect(next.kind).toBe('book');
      if (next.kind === 'book') expect(next.pnl.equity?.ts).toBe(fill.fill.ts);
    }
    // The bars before each fill's time were drawn before it; the run's last bar marks the open position at the end.
    const firstFill = events.indexOf(fills[0]);
    const barsBefore = events.slice(0, firstFill).filter((e) => e.kind === 'bar');
    expect(barsBefore.length).toBe(bars.filter((b) => b.ts + b.intervalMs <= fills[0].fill.ts).length);
    const last = events.at(-1);
    expect(last?.kind).toBe('book');
    if (last?.kind === 'book') expect(last.pnl.equity?.equity).toBeCloseTo(report.account.finalEquity, 6);
    expect(events.at(-2)).toMatchObject({ kind: 'bar', bar: { ts: report.period?.lastBarTs } });
    expect(events.filter((e) => e.kind === 'bar' && e.bar.ts === report.period?.lastBarTs)).toHaveLength(1);
    // The long leg's round trip after its exit: the equity moved by its net result (no mark between, on the fill's own rate).
    const equities = fills.map((f) => (events[events.indexOf(f) + 1] as Extract<ControlEvent, { kind: 'book' }>).pnl.equity?.equity ?? NaN);
    expect(equities[1] - report.account.initialCash).toBeCloseTo(report.strategies[0].totals.netPnlAccount, 6);
  });

  it('draws the fills at their prices when no bars are given, each fill on its bar', () => {
    const view = createReportView(report, { contracts });
    const drawn = view.recentEvents().flatMap((e) => (e.kind === 'bar' ? [e.bar] : []));
    const fills = report.strategies.flatMap((s) => s.fills);
    const times = [...new Set(fills.map((f) => f.ts))];
    // Two fills share the exit time: one bar for them, and the final mark.
    expect(drawn).toHaveLength(times.length + 1);
    for (const f of fills) expect(drawn.some((b) => b.ts === f.ts && b.low <= f.price && f.price <= b.high && f.ts % b.intervalMs === 0)).toBe(true);
  });

  it('lists the orders the report left working, with their strategy and symbol', () => {
    const order = { id: 'short_after_fix.USDJPY.x.1.sl', ts: Date.parse(TO), time: TO.replace('Z', '.000Z'), side: 'BUY' as const, qty: 100_000, type: 'STOP' as const, limitPrice: null, stopPrice: 150, reason: 'stop' as const };
    const withOrder: ReplayReport = { ...report, strategies: report.strategies.map((s) => (s.id === 'short_after_fix' ? { ...s, workingOrders: [order] } : s)) };
    const view = createReportView(withOrder, { contracts });
    expect(view.book().workingOrders).toEqual([{ id: order.id, strategyId: 'short_after_fix', symbol: 'USDJPY', ts: order.ts, side: 'BUY', qty: 100_000, type: 'STOP', stopPrice: 150, reason: 'stop' }]);
  });

  it('changes nothing: kill, flatten and resume throw ReadOnlyError', () => {
    const view = createReportView(report, { contracts });
    expect(() => view.setKillSwitch(true, 'test')).toThrow(ReadOnlyError);
    expect(() => view.flatten(undefined, 'test')).toThrow(ReadOnlyError);
    expect(() => view.killStrategy('long_into_fix', 'test')).toThrow(ReadOnlyError);
    expect(() => view.resume(undefined, 'test')).toThrow(ReadOnlyError);
    expect(view.status().killSwitch.on).toBe(false);
  });

  it('refuses a report whose fills do not add up to its position or its equity', () => {
    const flip = (s: ReplayReport['strategies'][number]): ReplayReport['strategies'][number] => ({
      ...s,
      fills: s.fills.map((f, i) => (i === s.fills.length - 1 ? { ...f, side: f.side === 'BUY' ? 'SELL' : 'BUY' } : f)),
    });
    const flipped: ReplayReport = { ...report, strategies: report.strategies.map((s) => (s.id === 'short_after_fix' ? flip(s) : s)) };
    expect(() => createReportView(flipped, { contracts, source: 'day.json' })).toThrow(new DataError('its fills book a position of 100000, the report says -100000', { file: 'day.json', field: 'strategies[1].position.qty' }));
    const richer: ReplayReport = { ...report, account: { ...report.account, finalEquity: report.account.finalEquity + 1 } };
    expect(() => createReportView(richer, { contracts })).toThrow(/field "account\.finalEquity": its fills book a final equity of /);
  });
});

describe('readReplayReport', () => {
  it('reads the report replay wrote', () => {
    expect(readReplayReport(reportFile)).toEqual(report);
  });

  it('names the file and the field of a bad report, and a file that is not JSON', () => {
    const bad = join(dir, 'bad.json');
    const doc = JSON.parse(readFileSync(reportFile, 'utf8')) as { strategies: { fills: { side: string }[] }[] };
    doc.strategies[1].fills[0].side = 'SHORT';
    writeFileSync(bad, JSON.stringify(doc));
    expect(() => readReplayReport(bad)).toThrow(DataError);
    expect(() => readReplayReport(bad)).toThrow(`not a replay report: ${bad}: strategies[1].fills[0].side: `);
    writeFileSync(bad, '{"schemaVersion": 2,');
    expect(() => readReplayReport(bad)).toThrow(`not a replay report: ${bad}: not JSON`);
    expect(() => readReplayReport(join(dir, 'missing.json'))).toThrow(`${join(dir, 'missing.json')}: cannot be read`);
  });
});
