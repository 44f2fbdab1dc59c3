import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../core/errors';
import { contractFor, loadContracts } from '../core/contracts';
import { formatZodError } from '../core/schemas';
import { barSeries, lettersFor, makeBar, marbles } from '../testkit/marbles';
import { createStrategy, duplicateStrategyIds, strategySpecSchema, strategySpecsSchema, type StrategySpec } from './registry';

const contracts = loadContracts();
const USDJPY = contractFor(contracts, 'USDJPY');

/** The message a person would read for `input`, or 'ok'. */
const problemsOf = (input: unknown): string => {
  const result = strategySpecSchema.safeParse(input);
  return result.success ? 'ok' : formatZodError(result.error);
};

const LONG = { id: 'long_into_fix', type: 'gotobi', symbol: 'USDJPY', side: 'long', contracts: 1, entry: '01:00', exit: '09:55', timezone: 'Asia/Tokyo' };
const SMA = { id: 'sma', type: 'smaCross', symbol: 'USDJPY', fast: 20, slow: 50, contracts: 1 };

describe('strategySpecSchema', () => {
  it('accepts the examples of the issue as they are', () => {
    expect(strategySpecSchema.parse(LONG)).toEqual(LONG);
    expect(strategySpecSchema.parse(SMA)).toEqual(SMA);
  });

  it('fills in defaults: timezone Asia/Tokyo, 1 contract', () => {
    expect(strategySpecSchema.parse({ id: 'g', type: 'gotobi', symbol: 'USDJPY', side: 'short', entry: '09:55', exit: '14:00' })).toEqual({
      id: 'g',
      type: 'gotobi',
      symbol: 'USDJPY',
      side: 'short',
      contracts: 1,
      entry: '09:55',
      exit: '14:00',
      timezone: 'Asia/Tokyo',
    });
    expect(strategySpecSchema.parse({ id: 's', type: 'smaCross', symbol: 'USDJPY', fast: 5, slow: 10 })).toMatchObject({ contracts: 1 });
  });

  it('names the field and the rule of each problem', () => {
    expect(problemsOf({ ...LONG, entry: '10:00' })).toBe('exit: exit (09:55) must be after entry (10:00)');
    expect(problemsOf({ ...LONG, entry: '1:00' })).toBe('entry: "1:00" is not a wall time; expected HH:MM, 00:00 to 24:00');
    expect(problemsOf({ ...LONG, exit: '24:30' })).toBe('exit: "24:30" is past 24:00');
    expect(problemsOf({ ...LONG, timezone: 'Tokyo' })).toBe('timezone: unknown time zone "Tokyo" (expected an IANA name such as "Asia/Tokyo")');
    expect(problemsOf({ ...LONG, side: 'flat' })).toMatch(/^side: /);
    expect(problemsOf({ ...LONG, contracts: 0 })).toBe('contracts: must be > 0');
    expect(problemsOf({ ...SMA, fast: 50, slow: 20 })).toBe('fast: fast (50) must be less than slow (20)');
    expect(problemsOf({ ...SMA, fast: 2.5 })).toBe('fast: fast must be a whole number of bars');
    expect(problemsOf({ ...SMA, symbol: 'usdjpy' })).toMatch(/^symbol: an upper-case symbol/);
    expect(problemsOf({ ...SMA, id: '' })).toBe('id: a non-empty strategy id');
    expect(problemsOf({ ...SMA, type: 'rsiBands' })).toMatch(/^type: /);
  });

  it('rejects misspelt fields instead of applying a default silently', () => {
    const { contracts: _contracts, ...rest } = LONG;
    expect(problemsOf({ ...rest, contract: 2 })).toMatch(/Unrecognized key: "contract"/);
  });
});

describe('strategySpecsSchema / duplicateStrategyIds', () => {
  it('reports a duplicate id at its index', () => {
    const result = strategySpecsSchema.safeParse([LONG, SMA, { ...SMA, fast: 10 }]);
    expect(result.success ? 'ok' : formatZodError(result.error)).toBe('[2].id: duplicate strategy id "sma"');
    expect(duplicateStrategyIds([LONG, SMA, SMA, LONG, SMA])).toEqual(['sma', 'long_into_fix']);
    expect(duplicateStrategyIds([LONG, SMA])).toEqual([]);
  });

  it('accepts the demo config/gotobi.json: two USDJPY legs, 1 contract each', () => {
    const config = JSON.parse(readFileSync(path.resolve(__dirname, '../../config/gotobi.json'), 'utf8')) as { strategies: unknown };
    const specs = strategySpecsSchema.parse(config.strategies);
    expect(specs.map((s) => [s.id, s.type, s.symbol, s.type === 'gotobi' ? `${s.side} ${s.entry}→${s.exit}` : '', s.contracts])).toEqual([
      ['long_into_fix', 'gotobi', 'USDJPY', 'long 01:00→09:55', 1],
      ['short_after_fix', 'gotobi', 'USDJPY', 'short 09:55→14:00', 1],
    ]);
  });
});

describe('createStrategy', () => {
  it('builds a gotobi leg from its spec', () => {
    const spec: StrategySpec = strategySpecSchema.parse(LONG);
    const bars = [makeBar({ ts: Date.parse('2024-01-10T00:59:00+09:00'), close: 150 })];
    marbles(({ cold, expectObservable }) => {
      expectObservable(cold('-a-|', { a: bars[0] }).pipe(createStrategy(spec, USDJPY).decide)).toBe('-s-|', {
        s: { ts: Date.parse('2024-01-10T01:00:00+09:00'), target: 1, reason: 'gotobi entry' },
      });
    });
  });

  it("gives smaCross the contract's tick size, unless the spec overrides it", () => {
    // On the 0.001 grid all four closes are 150.000 (ties only); on a 0.0001 grid they zigzag.
    const closes = [150, 150.0004, 150.0002, 150.0004];
    const bars = barSeries({ start: '2024-01-10T00:00:00Z', closes });
    const base = strategySpecSchema.parse({ ...SMA, fast: 1, slow: 2 });
    const fine = strategySpecSchema.parse({ ...SMA, fast: 1, slow: 2, tickSize: 0.0001 });
    const signal = (i: number, target: number, reason: string) => ({ ts: bars[i].ts + 60_000, target, reason });
    marbles(({ cold, expectObservable }) => {
      const source = cold('-abcd-|', lettersFor('abcd', bars));
      expectObservable(source.pipe(createStrategy(base, USDJPY).decide)).toBe('------|');
      expectObservable(source.pipe(createStrategy(fine, USDJPY).decide)).toBe('---xy-|', {
        x: signal(2, -1, 'cross down'),
        y: signal(3, 1, 'cross up'),
      });
    });
  });

  it('gives the strategy the id and symbol of its spec', () => {
    expect(createStrategy(strategySpecSchema.parse(SMA), USDJPY)).toMatchObject({ id: 'sma', symbol: 'USDJPY' });
  });

  it('refuses the contract of another symbol', () => {
    expect(() => createStrategy(strategySpecSchema.parse(SMA), contractFor(contracts, 'EURUSD'))).toThrow(ConfigError);
    expect(() => createStrategy(strategySpecSchema.parse(SMA), contractFor(contracts, 'EURUSD'))).toThrow(
      'strategy "sma": symbol USDJPY was given the contract of EURUSD',
    );
  });
});
