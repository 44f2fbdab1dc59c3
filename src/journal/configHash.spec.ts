import { parseRunnerConfig } from '../runner/config';
import { journalConfigHash } from './configHash';

const doc = {
  account: { currency: 'USD', initialCash: 1_000_000 },
  strategies: [{ id: 'sma', type: 'smaCross', symbol: 'USDJPY', fast: 20, slow: 50, contracts: 1 }],
};

describe('journalConfigHash', () => {
  it('is the same whatever the key order of the file, and changes with any trading parameter', () => {
    const base = journalConfigHash(parseRunnerConfig(doc));
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    const reordered = { strategies: [{ slow: 50, fast: 20, contracts: 1, symbol: 'USDJPY', type: 'smaCross', id: 'sma' }], account: { initialCash: 1_000_000, currency: 'USD' } };
    expect(journalConfigHash(parseRunnerConfig(reordered))).toBe(base);
    expect(journalConfigHash(parseRunnerConfig({ ...doc, strategies: [{ ...doc.strategies[0], slow: 51 }] }))).not.toBe(base);
    expect(journalConfigHash(parseRunnerConfig({ ...doc, risk: { maxPositionContracts: 2 } }))).not.toBe(base);
    expect(journalConfigHash({ ...parseRunnerConfig(doc), live: { bar: '5m' } })).not.toBe(journalConfigHash({ ...parseRunnerConfig(doc), live: { bar: '1m' } }));
  });

  it('leaves out what does not decide the trading: control surfaces and analyzers', () => {
    const base = journalConfigHash(parseRunnerConfig(doc));
    expect(journalConfigHash(parseRunnerConfig({ ...doc, interfaces: { http: { port: 8788 } }, analyzers: ['sharpe'] }))).toBe(base);
  });
});
