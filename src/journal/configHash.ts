import { createHash } from 'node:crypto';
import type { RunnerConfig } from '../runner/config';

/** What decides a run's trading: the sections of a runner config (and a live config's bar) that the hash covers. */
export type TradingConfig = Pick<RunnerConfig, 'account' | 'broker' | 'risk' | 'sizer' | 'strategies' | 'data'> & {
  readonly live?: { readonly bar?: string };
};

/**
 * The identity of a config as a journal keeps it: a SHA-256 of the sections that decide what is traded and
 * how it is booked (account, broker, risk, sizer, strategies, data, and a live config's bar interval), as
 * canonical JSON (keys sorted), so the formatting of the file and the order of its keys do not matter while
 * any change of a strategy's parameter does. Control surfaces, analyzers and connection settings are left
 * out: changing a port or a report does not make a journal someone else's.
 */
export function journalConfigHash(config: TradingConfig): string {
  const { account, broker, risk, sizer, strategies, data, live } = config;
  const trading = { account, broker, risk, sizer, strategies, data, bar: live?.bar };
  return createHash('sha256').update(canonicalJson(trading), 'utf8').digest('hex');
}

/** JSON with object keys sorted at every level and undefined members left out. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
