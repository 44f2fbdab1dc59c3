import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { map } from 'rxjs';
import { z } from 'zod';
import type { Bar } from '../core/types';
import { ConfigError } from '../core/errors';
import { contractFor, loadContracts } from '../core/contracts';
import { formatZodError } from '../core/schemas';
import { parseRunnerConfig } from '../runner/config';
import { barSeries, lettersFor, makeBar, marbles } from '../testkit/marbles';
import { defineStrategy } from './definition';
import { createStrategy, strategyDefinitionOf, strategyEntriesSchema, strategyEntrySchema, strategyParamsOf, type StrategyEntry } from './registry';

const contracts = loadContracts();
const USDJPY = contractFor(contracts, 'USDJPY');
const EXAMPLES = path.resolve(__dirname, '../../examples');

/** The message a person would read for `input`, or 'ok'. */
const problemsOf = (input: unknown): string => {
  const result = strategyEntrySchema.safeParse(input);
  return result.success ? 'ok' : formatZodError(result.error);
};
const parse = (input: unknown): StrategyEntry => strategyEntrySchema.parse(input);

const LONG = { id: 'long_into_fix', type: 'gotobi', symbol: 'USDJPY', side: 'long', contracts: 1, entry: '01:00', exit: '09:55', timezone: 'Asia/Tokyo' };
const SMA = { id: 'sma', type: 'smaCross', symbol: 'USDJPY', fast: 20, slow: 50, contracts: 1 };

describe('strategyEntrySchema: built-in strategies by type', () => {
  it('accepts the examples of the issue as they are, with a bracket', () => {
    expect(parse(LONG)).toEqual(LONG);
    expect(parse(SMA)).toEqual(SMA);
    expect(parse({ ...SMA, bracket: { stopLossTicks: 20, takeProfitTicks: 40 } })).toEqual({ ...SMA, bracket: { stopLossTicks: 20, takeProfitTicks: 40 } });
  });

  it('fills in defaults: timezone Asia/Tokyo, 1 contract', () => {
    expect(parse({ id: 'g', type: 'gotobi', symbol: 'USDJPY', side: 'short', entry: '09:55', exit: '14:00' })).toEqual({
      id: 'g',
      type: 'gotobi',
      symbol: 'USDJPY',
      side: 'short',
      contracts: 1,
      entry: '09:55',
      exit: '14:00',
      timezone: 'Asia/Tokyo',
    });
    expect(parse({ id: 's', type: 'smaCross', symbol: 'USDJPY', fast: 5, slow: 10 })).toMatchObject({ contracts: 1 });
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
    expect(problemsOf({ ...SMA, type: 'rsiBands' })).toBe('type: unknown strategy type "rsiBands": one of gotobi, smaCross, or a "module": "./path/to/strategy.ts" of yours');
    expect(problemsOf({ ...SMA, bracket: { stopLossTicks: 2.5 } })).toBe('bracket.stopLossTicks: a whole number of ticks');
    expect(problemsOf({ ...SMA, bracket: {} })).toBe('bracket: a bracket needs a stop-loss, a trailing stop or a take-profit');
  });

  it('rejects misspelt fields instead of applying a default silently', () => {
    const { contracts: _contracts, ...rest } = LONG;
    expect(problemsOf({ ...rest, contract: 2 })).toMatch(/Unrecognized key: "contract"/);
  });
});

describe('strategyEntriesSchema', () => {
  it('reports a duplicate id at its index', () => {
    const result = strategyEntriesSchema.safeParse([LONG, SMA, { ...SMA, fast: 10 }]);
    expect(result.success ? 'ok' : formatZodError(result.error)).toBe('[2].id: duplicate strategy id "sma"');
  });

  it('accepts the demo config/gotobi.json: two USDJPY legs, 1 contract each', () => {
    const config = JSON.parse(readFileSync(path.resolve(__dirname, '../../config/gotobi.json'), 'utf8')) as { strategies: unknown };
    const entries = strategyEntriesSchema.parse(config.strategies);
    expect(entries.map((e) => [e.id, 'type' in e ? e.type : e.module, e.symbol, strategyParamsOf(e)])).toEqual([
      ['long_into_fix', 'gotobi', 'USDJPY', { side: 'long', contracts: 1, entry: '01:00', exit: '09:55', timezone: 'Asia/Tokyo' }],
      ['short_after_fix', 'gotobi', 'USDJPY', { side: 'short', contracts: 1, entry: '09:55', exit: '14:00', timezone: 'Asia/Tokyo' }],
    ]);
  });
});

describe('strategy modules in a runner config', () => {
  const account = { currency: 'USD', initialCash: 1_000_000 };
  const rsi = (params: Record<string, unknown>, module = './strategies/rsiRevert.ts') => ({ id: 'rsi', module, symbol: 'USDJPY', params });

  it('loads the module relative to the config file, checks its params and keeps an absolute path', () => {
    const config = parseRunnerConfig({ account, strategies: [LONG, rsi({ period: 10 })] }, 'examples/x.json', { baseDir: EXAMPLES });
    expect(config.strategies[1]).toEqual({
      id: 'rsi',
      module: path.join(EXAMPLES, 'strategies/rsiRevert.ts'),
      symbol: 'USDJPY',
      params: { period: 10, lower: 30, upper: 70, contracts: 1, breakEvenTicks: 0 },
    });
    const strategy = createStrategy(config.strategies[1], USDJPY);
    expect(strategy).toMatchObject({ id: 'rsi', symbol: 'USDJPY', warmup: { bars: 11 }, input: 'barsAndFills' });
    // Parsed again (a pool worker does), from anywhere: the same.
    expect(parseRunnerConfig(config, 'again').strategies).toEqual(config.strategies);
  });

  it('names the entry, the field and the rule when the params are wrong', () => {
    const bad = () => parseRunnerConfig({ account, strategies: [LONG, SMA, rsi({ period: 1.5, extra: true })] }, 'examples/x.json', { baseDir: EXAMPLES });
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow('examples/x.json: strategies[2].params.period: Invalid input: expected int, received number; strategies[2].params: Unrecognized key: "extra"');
  });

  it('says when a module cannot be loaded or exports no strategy', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'strategy-modules-'));
    writeFileSync(path.join(dir, 'nothing.js'), 'module.exports = { answer: 42 };\n');
    const parseWith = (module: string) => () => parseRunnerConfig({ account, strategies: [rsi({}, module)] }, 'c.json', { baseDir: dir });
    expect(parseWith('./missing.ts')).toThrow(new RegExp(`^c\\.json: strategies\\[0\\]\\.module: cannot load ${escape(path.join(dir, 'missing.ts'))} \\(`));
    expect(parseWith('./nothing.js')).toThrow(
      `c.json: strategies[0].module: ${path.join(dir, 'nothing.js')} exports no strategy definition: export default defineStrategy({ params, warmup, create })`,
    );
  });

  it('loads compiled JavaScript too, and lists a definition’s params for a sweep', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'strategy-modules-'));
    const definitionFile = path.resolve(__dirname, 'definition.ts');
    writeFileSync(
      path.join(dir, 'flat.js'),
      [
        `const { z } = require(${JSON.stringify(require.resolve('zod'))});`,
        `const { defineStrategy } = require(${JSON.stringify(definitionFile)});`,
        `exports.flat = defineStrategy({ params: z.strictObject({ size: z.number().default(2) }), warmup: { bars: 0 }, create: () => (bars$) => bars$ });`,
      ].join('\n'),
    );
    const [entry] = parseRunnerConfig({ account, strategies: [rsi({}, './flat.js')] }, 'c.json', { baseDir: dir }).strategies;
    expect(strategyParamsOf(entry)).toEqual({ size: 2 });
    expect(Object.keys(strategyDefinitionOf(entry).params.shape)).toEqual(['size']);
    expect(Object.keys(strategyDefinitionOf(parse(SMA)).params.shape)).toEqual(['fast', 'slow', 'contracts', 'tickSize']);
  });
});

describe('defineStrategy', () => {
  it('refuses a definition without zod params, a create function or a sound warm-up', () => {
    const create = () => map((bar: Bar) => ({ ts: bar.ts, target: 0 }));
    expect(() => defineStrategy({ params: {} as never, warmup: { bars: 0 }, create })).toThrow('defineStrategy: params must be a zod object schema');
    expect(() => defineStrategy({ params: z.strictObject({}), warmup: { bars: 0 }, create: 5 as never })).toThrow('defineStrategy: create must be a function');
    expect(() => defineStrategy({ params: z.strictObject({}), warmup: { bars: -1 }, create })).toThrow('defineStrategy: warmup: bars must be a whole number ≥ 0, got -1');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('createStrategy', () => {
  it('builds a gotobi leg from its entry', () => {
    const spec = parse(LONG);
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
    const base = parse({ ...SMA, fast: 1, slow: 2 });
    const fine = parse({ ...SMA, fast: 1, slow: 2, tickSize: 0.0001 });
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
    expect(createStrategy(parse(SMA), USDJPY)).toMatchObject({ id: 'sma', symbol: 'USDJPY' });
    expect(createStrategy(parse(SMA), USDJPY).reads).toBeUndefined();
  });

  it('gives it the symbols it reads besides its own, which are not params', () => {
    const spread = parse({ ...SMA, reads: ['EURUSD', 'EURJPY', 'USDJPY'] });
    expect(strategyParamsOf(spread)).toEqual({ fast: 20, slow: 50, contracts: 1 });
    expect(createStrategy(spread, USDJPY).reads).toEqual(['EURUSD', 'EURJPY']);
    expect(problemsOf({ ...SMA, reads: ['eurusd'] })).toMatch(/^reads\[0\]: an upper-case symbol/);
    expect(problemsOf({ ...SMA, reads: [] })).toMatch(/^reads: at least one symbol/);
    let seen: readonly string[] | undefined;
    const definition = defineStrategy({
      params: z.strictObject({}),
      warmup: { bars: 0 },
      create: (_params, context) => {
        seen = context.reads;
        return map(() => ({ ts: 0, target: 0 }));
      },
    });
    definition.create({ id: 'x', symbol: 'EURJPY', reads: ['EURUSD', 'USDJPY'], params: {}, contract: contractFor(contracts, 'EURJPY') });
    expect(seen).toEqual(['EURUSD', 'USDJPY']);
  });

  it('refuses the contract of another symbol', () => {
    expect(() => createStrategy(parse(SMA), contractFor(contracts, 'EURUSD'))).toThrow(ConfigError);
    expect(() => createStrategy(parse(SMA), contractFor(contracts, 'EURUSD'))).toThrow(
      'strategy "sma": symbol USDJPY was given the contract of EURUSD',
    );
  });
});
