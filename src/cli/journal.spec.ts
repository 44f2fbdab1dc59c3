import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { captureIo } from '../../test/support/cliCapture';
import { liveOptions, tempJournal, testEvent, testOrder } from '../../test/support/journalFixtures';
import { openJournal } from '../journal/journal';
import { parseReplayReport, type ReplayReport } from '../runner/report/replayReport';
import { runJournal } from './journal';
import { runReplay } from './replay';

const ROOT = resolve(__dirname, '../..');
const FIXTURE = join(ROOT, 'fixtures/usdjpy.parquet');

async function journal(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const c = captureIo();
  const code = await runJournal(args, c.io);
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

/** The report without its timing block (the only part that differs between runs). */
const withoutTiming = (report: ReplayReport) => ({ ...report, run: undefined });

describe('npm run replay -- --journal, then npm run journal', () => {
  const { dir, file } = tempJournal('january.db');
  let report: ReplayReport;

  beforeAll(async () => {
    const c = captureIo();
    const json = join(dir, 'january.json');
    expect(await runReplay([FIXTURE, '--from', '2024-01-01', '--to', '2024-02-01', '--json', json, '--journal', file, '--no-progress'], c.io)).toBe(0);
    expect(c.stderr()).toBe('');
    expect(c.stdout()).toContain(`Journal: ${file}`);
    report = parseReplayReport(readFileSync(json, 'utf8'), json);
  });

  it('journals without changing the replay: the same report as without --journal', async () => {
    const c = captureIo();
    const json = join(dir, 'plain.json');
    expect(await runReplay([FIXTURE, '--from', '2024-01-01', '--to', '2024-02-01', '--json', json, '--no-progress'], c.io)).toBe(0);
    expect(withoutTiming(parseReplayReport(readFileSync(json, 'utf8'), json))).toEqual(withoutTiming(report));
  });

  it('summary: the run, the control state, and per day and strategy what happened; the days add up to the report', async () => {
    const r = await journal([file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Journal ${file} \\(schema 1\\), 1 run\\(s\\), times in UTC\\n  run 1  replay  account replay  started .*, stopped .* \\(end of data\\)`));
    expect(r.stdout).toContain('Kill switch: off\nWorking orders: none\nErrors: 0\n');
    // Gotobi days of January 2024: the long leg enters on the eve (UTC) of the 5th and exits on the 5th.
    expect(r.stdout).toMatch(/\n2024-01-04  long_into_fix    USDJPY        1        0       1        0      1       0            0  JPY       0\.00\n/);
    expect(r.stdout).toMatch(/\n2024-01-05  long_into_fix    USDJPY        1        0       1        0      1       1      \+67,900  JPY    \+484\.18\n/);

    const json = JSON.parse((await journal([file, 'summary', '--json'])).stdout) as { days: { strategyId: string; net: number; netAccount: number; fills: number; ordersSent: number }[] };
    for (const strategy of report.strategies) {
      const days = json.days.filter((d) => d.strategyId === strategy.id);
      expect(days.reduce((sum, d) => sum + d.fills, 0)).toBe(strategy.fills.length);
      expect(days.reduce((sum, d) => sum + d.ordersSent, 0)).toBe(strategy.fills.length);
      // No position is left open at the end of January: the realized days are the strategy's whole result.
      expect(strategy.position).toBeNull();
      expect(days.reduce((sum, d) => sum + d.net, 0)).toBeCloseTo(strategy.totals.netPnl, 6);
      expect(days.reduce((sum, d) => sum + d.netAccount, 0)).toBeCloseTo(strategy.netPnlAccount, 6);
    }
  });

  it('fills as CSV: one row per fill, full precision, ISO times', async () => {
    const r = await journal([file, 'fills', '--csv']);
    const lines = r.stdout.split('\r\n').filter((l) => l !== '');
    expect(lines[0]).toBe('time,strategyId,symbol,side,qty,price,commission,quoteCurrency,reason,orderId,execId');
    expect(lines).toHaveLength(1 + report.strategies.reduce((n, s) => n + s.fills.length, 0));
    const first = report.strategies[0].fills[0];
    const id = 'long_into_fix.USDJPY.20240104T160000Z.1';
    expect(lines[1]).toBe(`${first.time},long_into_fix,USDJPY,BUY,100000,${first.price},0,JPY,entry,${id},${id}.1`);
  });

  it('orders as JSON, and a time range: from inclusive, to exclusive', async () => {
    const r = await journal([file, 'orders', '--json', '--from', '2024-01-05T00:55:00Z', '--to', '2024-01-05T05:00:00Z']);
    expect(JSON.parse(r.stdout)).toEqual([
      expect.objectContaining({ time: '2024-01-05T00:55:00.000Z', orderId: 'long_into_fix.USDJPY.20240105T005500Z.1', side: 'SELL', qty: 100_000, orderReason: 'exit', parentId: null, sent: 'yes', status: 'Filled', filledQty: 100_000 }),
      expect.objectContaining({ time: '2024-01-05T00:55:00.000Z', orderId: 'short_after_fix.USDJPY.20240105T005500Z.1', side: 'SELL', orderReason: 'entry', status: 'Filled' }),
    ]);
  });

  it('orders of a bracket replay: each entry with its stop-loss and take-profit, under their parent, and why each ended', async () => {
    const { file: brackets } = tempJournal('brackets.db');
    const c = captureIo();
    expect(await runReplay([FIXTURE, '--config', join(ROOT, 'config/gotobi-bracket.json'), '--from', '2024-01-01', '--to', '2024-02-01', '--journal', brackets, '--no-progress'], c.io)).toBe(0);
    const rows = JSON.parse((await journal([brackets, 'orders', '--json'])).stdout) as Record<string, string | number | null>[];
    const entries = rows.filter((r) => r.orderReason === 'entry');
    const protective = rows.filter((r) => r.parentId !== null);
    expect(entries.length).toBeGreaterThan(5);
    expect(protective.map((r) => r.orderId)).toEqual(entries.flatMap((e) => [`${e.orderId}.sl`, `${e.orderId}.tp`]));
    const first = entries[0];
    const [stop, takeProfit] = protective;
    // A long entry at 16:00 UTC filled at the next open; its stop 300 ticks (0.300) below and its take-profit 450 above that fill.
    expect(stop).toMatchObject({ parentId: first.orderId, orderReason: 'stop', type: 'STOP', side: 'SELL', sent: 'yes' });
    expect(takeProfit).toMatchObject({ parentId: first.orderId, orderReason: 'takeProfit', type: 'LIMIT', side: 'SELL', sent: 'yes' });
    const fill = JSON.parse((await journal([brackets, 'fills', '--json'])).stdout)[0] as { orderId: string; price: number };
    expect(fill.orderId).toBe(first.orderId);
    expect(stop.stopPrice).toBeCloseTo(fill.price - 0.3, 9);
    expect(takeProfit.limitPrice).toBeCloseTo(fill.price + 0.45, 9);
    // Each pair ends one way: a leg filled and the other cancelled by it (OCO), or both cancelled by the exit.
    for (let i = 0; i < protective.length; i += 2) {
      const pair = [protective[i], protective[i + 1]].map((r) => `${String(r.status)} ${String(r.reason).split(':')[0]}`).sort();
      expect([['Cancelled OCO', 'Filled null'], ['Cancelled TARGET_CHANGED', 'Cancelled TARGET_CHANGED']]).toContainEqual(pair);
    }
    const text = (await journal([brackets, 'orders', '--to', '2024-01-05'])).stdout;
    expect(text).toContain(`${String(stop.orderId)}  long_into_fix`);
    expect(text).toMatch(/Order reason  Parent/);
  });

  it('pnl: per day, strategy and symbol, with the position at the day end', async () => {
    const r = await journal([file, 'pnl', '--to', '2024-01-06']);
    expect(r.stdout.split('\n').slice(0, 5)).toEqual([
      'Day (UTC)   Strategy         Symbol  Fills   Bought     Sold  Position  Avg price  Realized  Commission      Net  Ccy  Net (USD)  Trades',
      '----------  ---------------  ------  -----  -------  -------  --------  ---------  --------  ----------  -------  ---  ---------  ------',
      '2024-01-04  long_into_fix    USDJPY      1  100,000        0  +100,000    139.558         0           0        0  JPY       0.00       0',
      '2024-01-05  long_into_fix    USDJPY      1        0  100,000         0              +67,900           0  +67,900  JPY    +484.18       1',
      '2024-01-05  short_after_fix  USDJPY      2  100,000  100,000         0              -11,600           0  -11,600  JPY     -82.65       1',
    ]);
  });

  it('a replay into a journal that holds a run is refused, and the journal is left as it was', async () => {
    const before = readFileSync(file);
    const c = captureIo();
    expect(await runReplay([FIXTURE, '--to', '2024-01-02', '--journal', file, '--no-progress'], c.io)).toBe(1);
    expect(c.stderr()).toMatch(/^journal .*january\.db: already holds 1 run\(s\); a replay writes a new journal: remove the file or choose another\n$/);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('exits 1 on a file it cannot read as a journal, 2 on bad arguments', async () => {
    const notes = join(dir, 'notes.txt');
    writeFileSync(notes, 'not a journal at all, just words\n'.repeat(40));
    const bad = await journal([notes]);
    expect([bad.code, bad.stderr]).toEqual([1, expect.stringMatching(/^journal .*notes\.txt: not a SQLite database/)]);
    const missing = await journal([join(dir, 'missing.db')]);
    expect([missing.code, missing.stderr]).toEqual([1, expect.stringMatching(/missing\.db: no such file/)]);
    expect((await journal([file, 'trades'])).code).toBe(2);
    const both = await journal([file, '--csv', '--json']);
    expect([both.code, both.stderr]).toEqual([2, 'error: choose one of --csv and --json\n']);
    const when = await journal([file, '--from', 'yesterday']);
    expect([when.code, when.stderr]).toEqual([2, expect.stringMatching(/--from: "yesterday" is not a time/)]);
  });

  it('summary of a live journal: kill switches, flattens, working orders and the latest errors', async () => {
    const live = join(dir, 'live.db');
    const writer = openJournal(live, liveOptions({ now: () => Date.parse('2024-01-05T00:00:00Z') }));
    const order = testOrder(1);
    writer.beforeSend(order);
    writer.recordOrderEvent(testEvent(order, 'Submitted'), { brokerOrderId: 12, permId: 777 });
    writer.recordControl({ kind: 'kill', ts: Date.parse('2024-01-05T01:00:00Z'), reason: 'news', source: 'http' });
    writer.recordControl({ kind: 'kill', ts: Date.parse('2024-01-05T01:05:00Z'), strategyId: 'fix', reason: 'odd fills', source: 'telegram' });
    writer.recordControl({ kind: 'flatten', ts: Date.parse('2024-01-05T01:10:00Z'), strategyId: 'fix', reason: 'end of day', source: 'http' });
    for (let i = 1; i <= 7; i++) writer.recordError('broker', new Error(`TWS error ${i}`), Date.parse('2024-01-05T02:00:00Z') + i * 60_000);
    writer.close('SIGINT');
    const r = await journal([live]);
    expect(r.stdout).toContain(
      [
        'Kill switch: ON since 2024-01-05 01:00 (news, by http)',
        '  fix: ON since 2024-01-05 01:05 (odd fills, by telegram)',
        'Flattened fix at 2024-01-05 01:10 (end of day, by http)',
        'Working orders: fix-1 BUY 100000 USDJPY (Submitted)',
        'Errors: 7',
        '  (the last 5; --json lists them all)',
        '  2024-01-05 02:03  broker: TWS error 3',
      ].join('\n'),
    );
    expect(r.stdout).toContain('  2024-01-05 02:07  broker: TWS error 7\n');
    const json = JSON.parse((await journal([live, '--json'])).stdout) as { errors: unknown[]; workingOrders: unknown[] };
    expect(json.errors).toHaveLength(7);
    expect(json.workingOrders).toEqual([expect.objectContaining({ id: 'fix-1', status: 'Submitted', remaining: 100_000, venue: { brokerOrderId: 12, permId: 777 } })]);
  });

  it('runs as the README says, as a process', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/journal.ts', file, 'fills', '--to', '2024-01-05'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Time \(UTC\)\s+Strategy\s+Symbol\s+Side\s+Qty\s+Price/);
    expect(r.stdout).toContain('2024-01-04 16:00  long_into_fix  USDJPY  BUY   100,000  139.558');
  });
});
