import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { HOUR_MS, MINUTE_MS } from '../core/time';
import type { Bar, TargetPosition } from '../core/types';
import { makeBar, marbles } from '../testkit/marbles';
import { createGotobi, gotobi, type GotobiParams } from './gotobi';

/** Epoch ms of a JST wall time, `'2024-01-10T01:00'`. */
const jst = (wall: string): number => Date.parse(`${wall}:00+09:00`);

/** A USDJPY bar that ENDS at the given JST wall time (1-minute unless told). */
const endingAt = (wall: string, options: { symbol?: string; intervalMs?: number } = {}): Bar => {
  const intervalMs = options.intervalMs ?? MINUTE_MS;
  return makeBar({ symbol: options.symbol ?? 'USDJPY', ts: jst(wall) - intervalMs, intervalMs, close: 150 });
};

const LONG: GotobiParams = { id: 'long_into_fix', symbol: 'USDJPY', side: 'long', contracts: 1, entry: '01:00', exit: '09:55' };
const SHORT: GotobiParams = { id: 'short_after_fix', symbol: 'USDJPY', side: 'short', contracts: 1, entry: '09:55', exit: '14:00' };

/** The target a leg decides on the bar ending at a JST wall time. */
const decision = (wall: string, target: number, reason: string): TargetPosition => ({ ts: jst(wall), target, reason });
const enter = (leg: GotobiParams, wall: string): TargetPosition => decision(wall, leg.side === 'long' ? leg.contracts : -leg.contracts, 'gotobi entry');
const exitAt = (wall: string): TargetPosition => decision(wall, 0, 'exit time');
const dayChanged = (wall: string): TargetPosition => decision(wall, 0, 'day changed');

/** Bars named by marble letters, each ending at a JST wall time. */
const barsEndingAt = (walls: Record<string, string>): Record<string, Bar> =>
  Object.fromEntries(Object.entries(walls).map(([letter, wall]) => [letter, endingAt(wall)]));

/** The same decisions without a scheduler: every target the leg gives for `bars`, in order. */
const signalsOf = (leg: GotobiParams, bars: readonly Bar[]): TargetPosition[] => {
  const state = createGotobi(leg);
  return bars.map((b) => state.update(b)).filter((t): t is TargetPosition => t !== undefined);
};

describe('gotobi', () => {
  it('runs both demo legs on a gotobi day: long 01:00 → 09:55, short 09:55 → 14:00', () => {
    // 2024-01-10 is a Wednesday, day 10: a gotobi day.
    const bars = barsEndingAt({
      a: '2024-01-10T00:59',
      b: '2024-01-10T01:00',
      c: '2024-01-10T05:00',
      d: '2024-01-10T09:54',
      e: '2024-01-10T09:55',
      f: '2024-01-10T13:59',
      g: '2024-01-10T14:00',
      h: '2024-01-10T15:00',
    });
    marbles(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-d-e-f-g-h-|', bars);
      expectObservable(source.pipe(gotobi(LONG).decide)).toBe('---L-----X-------|', {
        L: enter(LONG, '2024-01-10T01:00'),
        X: exitAt('2024-01-10T09:55'),
      });
      expectObservable(source.pipe(gotobi(SHORT).decide)).toBe('---------S---X---|', {
        S: enter(SHORT, '2024-01-10T09:55'),
        X: exitAt('2024-01-10T14:00'),
      });
    });
  });

  it('judges a bar at its END: an hourly bar 00:00–01:00 enters, 09:00–10:00 exits', () => {
    const hourly = (wall: string): Bar => endingAt(wall, { intervalMs: HOUR_MS });
    marbles(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-|', { a: hourly('2024-01-10T01:00'), b: hourly('2024-01-10T09:00'), c: hourly('2024-01-10T10:00') });
      expectObservable(source.pipe(gotobi(LONG).decide)).toBe('-L---X-|', {
        L: enter(LONG, '2024-01-10T01:00'),
        X: exitAt('2024-01-10T10:00'),
      });
    });
  });

  it('does nothing on a day that is not a gotobi day', () => {
    // 2024-01-11 is a Thursday, day 11.
    marbles(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-|', barsEndingAt({ a: '2024-01-11T01:00', b: '2024-01-11T05:00', c: '2024-01-11T09:55' }));
      expectObservable(source.pipe(gotobi(LONG).decide)).toBe('-------|');
    });
  });

  it('trades the last day of the month: Feb 29 in a leap year, not Feb 28', () => {
    marbles(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-d-|', barsEndingAt({ a: '2024-02-28T01:00', b: '2024-02-28T09:55', c: '2024-02-29T01:00', d: '2024-02-29T09:55' }));
      expectObservable(source.pipe(gotobi(LONG).decide)).toBe('-----L-X-|', {
        L: enter(LONG, '2024-02-29T01:00'),
        X: exitAt('2024-02-29T09:55'),
      });
    });
  });

  it('rolls a Saturday gotobi date to Friday: 2024-01-20 → Fri 19th, and Saturday morning bars do not trade', () => {
    marbles(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-d-|', barsEndingAt({ a: '2024-01-19T01:00', b: '2024-01-19T09:55', c: '2024-01-20T01:00', d: '2024-01-20T05:00' }));
      expectObservable(source.pipe(gotobi(LONG).decide)).toBe('-L-X-----|', {
        L: enter(LONG, '2024-01-19T01:00'),
        X: exitAt('2024-01-19T09:55'),
      });
    });
  });

  it('rolls across a holiday: Sat Feb 10 past Sun 11 and the substitute holiday Mon 12 to Fri Feb 9', () => {
    marbles(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-d-|', barsEndingAt({ a: '2024-02-09T01:00', b: '2024-02-09T09:55', c: '2024-02-12T01:00', d: '2024-02-12T09:00' }));
      expectObservable(source.pipe(gotobi(LONG).decide)).toBe('-L-X-----|', {
        L: enter(LONG, '2024-02-09T01:00'),
        X: exitAt('2024-02-09T09:55'),
      });
    });
  });

  it('exits at the first bar after a data gap that crossed midnight, before the exit time', () => {
    marbles(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-|', barsEndingAt({ a: '2024-01-10T01:00', b: '2024-01-10T03:00', c: '2024-01-11T00:30' }));
      expectObservable(source.pipe(gotobi(LONG).decide)).toBe('-L---X-|', {
        L: enter(LONG, '2024-01-10T01:00'),
        X: dayChanged('2024-01-11T00:30'),
      });
    });
  });

  it('after a gap into another gotobi day, exits on the first bar and enters on the next one', () => {
    // Mon 2024-01-15 (day 15) → gap → Fri 2024-01-19 (day 20 rolled back from Saturday).
    marbles(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-|', barsEndingAt({ a: '2024-01-15T02:00', b: '2024-01-19T02:00', c: '2024-01-19T02:01' }));
      expectObservable(source.pipe(gotobi(LONG).decide)).toBe('-L-X-E-|', {
        L: enter(LONG, '2024-01-15T02:00'),
        X: dayChanged('2024-01-19T02:00'),
        E: enter(LONG, '2024-01-19T02:01'),
      });
    });
  });

  it('enters at most once a day, even when a bar of the entry window comes again after the exit', () => {
    // A merged or re-sent feed can repeat a bar; the leg has already traded 2024-01-10.
    marbles(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-d-|', barsEndingAt({ a: '2024-01-10T01:00', b: '2024-01-10T09:55', c: '2024-01-10T05:00', d: '2024-01-10T06:00' }));
      expectObservable(source.pipe(gotobi(LONG).decide)).toBe('-L-X-----|', {
        L: enter(LONG, '2024-01-10T01:00'),
        X: exitAt('2024-01-10T09:55'),
      });
    });
  });

  it('ignores bars of other symbols, in and out of a position', () => {
    const eurusd = (wall: string): Bar => endingAt(wall, { symbol: 'EURUSD' });
    marbles(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-d-|', {
        a: eurusd('2024-01-10T01:00'),
        b: endingAt('2024-01-10T02:00'),
        c: eurusd('2024-01-10T09:55'),
        d: endingAt('2024-01-10T09:56'),
      });
      expectObservable(source.pipe(gotobi(LONG).decide)).toBe('---L---X-|', {
        L: enter(LONG, '2024-01-10T02:00'),
        X: exitAt('2024-01-10T09:56'),
      });
    });
  });

  it('does not enter on a bar ending exactly at the exit time (entry ≤ end < exit)', () => {
    marbles(({ cold, expectObservable }) => {
      const source = cold('-a-b-|', barsEndingAt({ a: '2024-01-10T09:55', b: '2024-01-10T09:56' }));
      expectObservable(source.pipe(gotobi(LONG).decide)).toBe('-----|');
    });
  });

  it('holds ±contracts by side', () => {
    const two: GotobiParams = { ...SHORT, id: 'two', contracts: 2 };
    marbles(({ cold, expectObservable }) => {
      const source = cold('-a-b-|', barsEndingAt({ a: '2024-01-10T10:00', b: '2024-01-10T14:30' }));
      expectObservable(source.pipe(gotobi(two).decide)).toBe('-S-X-|', {
        S: decision('2024-01-10T10:00', -2, 'gotobi entry'),
        X: exitAt('2024-01-10T14:30'),
      });
    });
  });

  it('reads wall times and the calendar day in its own time zone', () => {
    const utcLeg: GotobiParams = { ...LONG, id: 'utc', timezone: 'UTC', entry: '08:00', exit: '24:00' };
    const ending = (iso: string): Bar => makeBar({ ts: Date.parse(iso) - MINUTE_MS, close: 150 });
    // 2024-01-09T23:30Z is 08:30 on Wednesday the 10th in Tokyo, but the 9th (no gotobi day) in UTC.
    const bars = [ending('2024-01-09T23:30:00Z'), ending('2024-01-10T08:30:00Z'), ending('2024-01-11T00:00:00Z')];
    expect(signalsOf(utcLeg, bars)).toEqual([
      { ts: Date.parse('2024-01-10T08:30:00Z'), target: 1, reason: 'gotobi entry' },
      { ts: Date.parse('2024-01-11T00:00:00Z'), target: 0, reason: 'exit time' }, // 24:00
    ]);
    expect(signalsOf(LONG, bars)).toEqual([enter(LONG, '2024-01-10T08:30'), exitAt('2024-01-10T17:30')]);
  });

  it('reads wall time, not time elapsed since midnight, on a day with a DST change', () => {
    // Jerusalem moves 02:00 → 03:00 on Friday 2024-03-29, a gotobi day (Sunday the 31st rolls back to it).
    // 00:30 UTC is 03:30 local although only 2.5 hours have passed since local midnight.
    const leg: GotobiParams = { ...LONG, id: 'jlm', timezone: 'Asia/Jerusalem', entry: '03:30', exit: '05:00' };
    const ending = (iso: string): Bar => makeBar({ ts: Date.parse(iso) - MINUTE_MS, close: 150 });
    const bars = ['2024-03-28T21:59:00Z', '2024-03-28T22:30:00Z', '2024-03-29T00:29:00Z', '2024-03-29T00:30:00Z', '2024-03-29T01:59:00Z', '2024-03-29T02:00:00Z'].map(ending);
    const at = (iso: string, target: number, reason: string): TargetPosition => ({ ts: Date.parse(iso), target, reason });
    expect(signalsOf(leg, bars)).toEqual([at('2024-03-29T00:30:00Z', 1, 'gotobi entry'), at('2024-03-29T02:00:00Z', 0, 'exit time')]);
  });

  it("gives the same signals whatever the host's TZ (America/New_York in a child process)", () => {
    // Jest's process.env is a copy, so TZ cannot be switched in-process; `npm run test:tz` reruns this
    // whole suite under TZ=America/New_York, and this test checks the same in any run.
    const bars = ['2024-01-19T00:59', '2024-01-19T01:00', '2024-01-19T09:55', '2024-01-20T01:00', '2024-02-09T03:00', '2024-02-12T01:00', '2024-03-11T01:00'].map(
      (wall) => endingAt(wall),
    );
    const expected = [
      enter(LONG, '2024-01-19T01:00'),
      exitAt('2024-01-19T09:55'),
      enter(LONG, '2024-02-09T03:00'),
      dayChanged('2024-02-12T01:00'),
    ];
    expect(signalsOf(LONG, bars)).toEqual(expected);
    const script = [
      "const { createGotobi } = require('./src/strategy/gotobi');",
      'const [leg, bars] = JSON.parse(process.argv[1]);',
      'const state = createGotobi(leg);',
      'const hostHour = new Date(Date.UTC(2024, 0, 1, 12)).getHours();',
      'console.log(JSON.stringify({ hostHour, signals: bars.map((b) => state.update(b)).filter((x) => x !== undefined) }));',
    ].join('\n');
    const output = execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', script, JSON.stringify([LONG, bars])], {
      cwd: path.resolve(__dirname, '../..'),
      env: { ...process.env, TZ: 'America/New_York' },
      encoding: 'utf8',
    });
    // hostHour 7 proves the child really ran in New York (noon UTC is 07:00 EST).
    expect(JSON.parse(output)).toEqual({ hostHour: 7, signals: expected });
  });

  it('knows its id and the symbol it trades', () => {
    expect(gotobi(LONG)).toEqual({ id: 'long_into_fix', symbol: 'USDJPY', decide: expect.any(Function) });
  });

  it('refuses bad parameters with an error naming the leg and the field', () => {
    expect(() => gotobi({ ...LONG, entry: '10:00' })).toThrow('gotobi "long_into_fix": exit (09:55) must be after entry (10:00)');
    expect(() => gotobi({ ...LONG, exit: '9:55' })).toThrow('gotobi "long_into_fix": exit: "9:55" is not a wall time');
    expect(() => gotobi({ ...LONG, contracts: 0 })).toThrow('gotobi "long_into_fix": contracts must be a finite number > 0, got 0');
    expect(() => gotobi({ ...LONG, timezone: 'Asia/Osaka' })).toThrow('gotobi "long_into_fix": timezone: unknown time zone "Asia/Osaka"');
    expect(() => createGotobi({ ...LONG, id: '' })).toThrow('gotobi: id must be a non-empty string');
  });
});
