import { ConfigError } from '../core/errors';
import { parseRunnerConfig } from '../runner/config';
import { addressOf, applyGridPoint, compileWhere, expandGrid, parseGrid, parseGridValues } from './grid';

const config = parseRunnerConfig({
  account: { currency: 'USD', initialCash: 1_000_000 },
  strategies: [
    { id: 'long_into_fix', type: 'gotobi', symbol: 'USDJPY', side: 'long', entry: '01:00', exit: '09:55' },
    { id: 'sma', type: 'smaCross', symbol: 'USDJPY', fast: 20, slow: 50 },
    { id: 'sma.slow', type: 'smaCross', symbol: 'USDJPY', fast: 5, slow: 10 },
  ],
});

describe('grid values', () => {
  it('reads ranges with the last value kept exactly, lists, texts and booleans', () => {
    expect(parseGridValues('5..50:5', 'k')).toEqual([5, 10, 15, 20, 25, 30, 35, 40, 45, 50]);
    expect(parseGridValues('1..4', 'k')).toEqual([1, 2, 3, 4]);
    expect(parseGridValues('0.1..0.3:0.1', 'k')).toEqual([0.1, 0.2, 0.3]);
    expect(parseGridValues('5..12:5', 'k')).toEqual([5, 10]);
    expect(parseGridValues('1,2,5', 'k')).toEqual([1, 2, 5]);
    expect(parseGridValues('long,short', 'k')).toEqual(['long', 'short']);
    expect(parseGridValues('true,false', 'k')).toEqual([true, false]);
  });

  it('refuses a backwards range, a zero step, an empty value and a repeated one, naming the key', () => {
    expect(() => parseGridValues('50..5:5', 'sma.fast')).toThrow('--grid sma.fast: "50..5:5" runs backwards');
    expect(() => parseGridValues('5..50:0', 'sma.fast')).toThrow('step of "5..50:0" must be > 0');
    expect(() => parseGridValues('1,,2', 'sma.fast')).toThrow('an empty value');
    expect(() => parseGridValues('1,2,1', 'sma.fast')).toThrow('lists 1 twice');
  });
});

describe('grid keys', () => {
  it('address a strategy by id (the longest id that prefixes the key) and a field by its path', () => {
    expect(addressOf('sma.fast', config)).toEqual({ strategyIndex: 1, path: ['fast'] });
    expect(addressOf('sma.slow.fast', config)).toEqual({ strategyIndex: 2, path: ['fast'] });
    expect(addressOf('long_into_fix.side', config)).toEqual({ strategyIndex: 0, path: ['side'] });
    expect(addressOf('sma.bracket.stopLossTicks', config)).toEqual({ strategyIndex: 1, path: ['bracket', 'stopLossTicks'] });
  });

  it('put a field of a strategy whose params sit under "params" there', () => {
    const moduleEntry = { ...config, strategies: [{ id: 'rsi', module: '/x/rsi.ts', symbol: 'USDJPY', params: { period: 14 } }] } as unknown as typeof config;
    expect(addressOf('rsi.period', moduleEntry)).toEqual({ strategyIndex: 0, path: ['params', 'period'] });
    expect(addressOf('rsi.params.period', moduleEntry)).toEqual({ strategyIndex: 0, path: ['params', 'period'] });
    expect(addressOf('rsi.bracket.takeProfitTicks', moduleEntry)).toEqual({ strategyIndex: 0, path: ['bracket', 'takeProfitTicks'] });
  });

  it('refuse an unknown strategy, an identity field and a key given twice', () => {
    expect(() => parseGrid(['rsi.period=5..10'], config)).toThrow('"rsi.period" names no strategy of the config (its strategies: long_into_fix, sma, sma.slow)');
    expect(() => parseGrid(['sma.symbol=EURUSD'], config)).toThrow(/symbol says which strategy this is; sweep its parameters instead \(fast, slow, contracts\)/);
    expect(() => parseGrid(['sma.fast=5', 'sma.fast=10'], config)).toThrow('sma.fast is given twice');
    expect(() => parseGrid(['sma.fast'], config)).toThrow(ConfigError);
  });
});

describe('grid points', () => {
  const axes = parseGrid(['sma.fast=5,10', 'sma.slow=20..40:10'], config);

  it('expand with the first axis varying slowest', () => {
    expect(expandGrid(axes)).toEqual([
      { 'sma.fast': 5, 'sma.slow': 20 },
      { 'sma.fast': 5, 'sma.slow': 30 },
      { 'sma.fast': 5, 'sma.slow': 40 },
      { 'sma.fast': 10, 'sma.slow': 20 },
      { 'sma.fast': 10, 'sma.slow': 30 },
      { 'sma.fast': 10, 'sma.slow': 40 },
    ]);
  });

  it('apply to a copy of the config, validated again with the strategy rules', () => {
    const applied = applyGridPoint(config, axes, { 'sma.fast': 10, 'sma.slow': 30 }, 'cfg.json');
    expect(applied.strategies[1]).toMatchObject({ fast: 10, slow: 30 });
    expect(config.strategies[1]).toMatchObject({ fast: 20, slow: 50 });
    const side = parseGrid(['long_into_fix.side=long,short'], config);
    expect(applyGridPoint(config, side, { 'long_into_fix.side': 'short' }, 'cfg.json').strategies[0]).toMatchObject({ side: 'short' });
    expect(() => applyGridPoint(config, parseGrid(['sma.fast=60'], config), { 'sma.fast': 60 }, 'cfg.json')).toThrow(
      'cfg.json: strategies[1].fast: fast (60) must be less than slow (50)',
    );
    expect(() => applyGridPoint(config, side, { 'long_into_fix.side': 'sideways' }, 'cfg.json')).toThrow(/^cfg\.json: strategies\[0\]\.side: /);
  });
});

describe('--where', () => {
  const axes = parseGrid(['sma.fast=5,10,20', 'sma.slow=10,20,40'], config);

  it('keeps the points where the expression holds, by full key or by a field name one axis has', () => {
    const fastBelowSlow = compileWhere('fast < slow', axes);
    expect(expandGrid(axes).filter(fastBelowSlow)).toHaveLength(6);
    const twice = compileWhere('sma.slow >= 2 * sma.fast && !(sma.fast == 5)', axes);
    expect(expandGrid(axes).filter(twice)).toEqual([
      { 'sma.fast': 10, 'sma.slow': 20 },
      { 'sma.fast': 10, 'sma.slow': 40 },
      { 'sma.fast': 20, 'sma.slow': 40 },
    ]);
  });

  it('refuses names that are not grid keys and anything callable', () => {
    expect(() => compileWhere('fast < period', axes)).toThrow('"period" is not a grid key (the keys: sma.fast, sma.slow)');
    expect(() => compileWhere('process.exit(1)', axes)).toThrow(/only grid keys, numbers, texts/);
    expect(() => compileWhere('fast <', axes)).toThrow(/--where: cannot read/);
  });
});
