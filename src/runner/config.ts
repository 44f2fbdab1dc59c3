import { z } from 'zod';
import { commissionConfigSchema } from '../broker/commission';
import { dirname, resolve } from 'node:path';
import { parseConfig, readJsonFile } from '../core/configFile';
import { ConfigError } from '../core/errors';
import { barIntervalMs } from '../data/barSpec';
import { columnMapSchema } from '../data/columnMap';
import { FORMATS } from '../data/layouts';
import { controlSurfacesConfigSchema } from '../control/surfacesConfig';
import { riskLimitsSchema } from '../risk/limits';
import { sizerConfigSchema } from '../risk/sizers';
import { resolveStrategyModules, strategyEntriesSchema } from '../strategy/registry';
import { ANALYZER_NAMES, analyzerNamesSchema } from './analyzers/createAnalyzers';

/**
 * A runner config (the strategy specs to run and the runner's settings), e.g. `config/gotobi.json`:
 *
 * ```json
 * { "account": { "currency": "USD", "initialCash": 1000000 },
 *   "broker": { "commission": { "perUnit": 0 }, "slippageTicks": 0 },
 *   "risk": { "maxPositionContracts": 5 },
 *   "strategies": [ { "id": "long_into_fix", "type": "gotobi", "symbol": "USDJPY", "side": "long",
 *                     "contracts": 1, "entry": "01:00", "exit": "09:55", "timezone": "Asia/Tokyo" } ] }
 * ```
 *
 * Every section but `account` and `strategies` is optional: no `risk` → nothing refused, no commission or
 * slippage → zero, no `analyzers` → all of them. `data.invert` passes the bars through `fxInvert` (the
 * strategies then trade the inverted symbol, which must be in contracts.json). A strategy is a built-in by
 * `type` or a module of the user's by `module` (see `strategyEntrySchema`), each with an optional `bracket`.
 */
export const runnerConfigSchema = z.strictObject({
  account: z.strictObject({
    currency: z.string().regex(/^[A-Z]{3}$/, 'a three-letter ISO currency code such as "USD"'),
    initialCash: z.number().finite().positive(),
  }),
  broker: z
    .strictObject({
      commission: commissionConfigSchema.optional(),
      slippageTicks: z.number().finite().nonnegative().optional(),
    })
    .optional(),
  risk: riskLimitsSchema.optional(),
  sizer: sizerConfigSchema.optional(),
  strategies: strategyEntriesSchema.min(1, 'at least one strategy'),
  analyzers: analyzerNamesSchema.optional(),
  data: z
    .strictObject({
      invert: z.boolean().optional(),
      /** Zone of naive timestamps in the data file. */
      timezone: z.string().min(1).optional(),
      /** 'skip' drops invalid rows (reported) instead of stopping at the first one. */
      policy: z.enum(['error', 'skip']).optional(),
      /** Text files: the layout, when detection cannot tell it (as `--format`). */
      format: z.enum(FORMATS).optional(),
      /** Text files: which column holds what (as `--columns`: "time=Date+Time,open=…" or an object). */
      columns: columnMapSchema.optional(),
      /** Text files: how dates with the year last are read (as `--date-order`). */
      dateOrder: z.enum(['dmy', 'mdy']).optional(),
    })
    .optional(),
  interfaces: controlSurfacesConfigSchema.optional(),
});

export type RunnerConfig = z.output<typeof runnerConfigSchema>;

export const DEFAULT_ANALYZERS = ANALYZER_NAMES;

export interface ConfigParseOptions {
  /** Where the config's relative strategy module paths start: its file's directory. Default the working directory. */
  readonly baseDir?: string;
}

/**
 * Validates a parsed config and loads its strategy modules; the error names the source and every offending
 * field (`strategies[1].fast: …`, `strategies[2].params.period: …`).
 */
export function parseRunnerConfig(doc: unknown, source = 'runner config', options: ConfigParseOptions = {}): RunnerConfig {
  return withStrategyModules(parseConfig(runnerConfigSchema, doc, source), source, options);
}

export function loadRunnerConfig(path: string): RunnerConfig {
  return parseRunnerConfig(readJsonFile(path), path, { baseDir: dirname(resolve(path)) });
}

/** `config` with its strategy modules loaded and their params checked (see `resolveStrategyModules`). */
export function withStrategyModules<C extends Pick<RunnerConfig, 'strategies'>>(config: C, source: string, options: ConfigParseOptions): C {
  const strategies = resolveStrategyModules(config.strategies, { baseDir: options.baseDir ?? process.cwd(), source });
  return { ...config, strategies };
}

/** A config for a replay, and the bar interval a live config runs its strategies on. */
export interface ReplayConfig {
  readonly config: RunnerConfig;
  /** `live.bar` of a live config (ms): replay builds the same bars, so what runs live is what is tested. */
  readonly liveBarMs?: number;
}

/**
 * Any runner config, a live one included: its `ib` and `live` sections are set aside (replay trades no
 * account) except `live.bar`; everything else is validated as a runner config, its strategy modules loaded
 * relative to the config file (as `loadRunnerConfig` and `loadLiveConfig` do).
 */
export function loadReplayConfig(path: string): ReplayConfig {
  const doc = readJsonFile(path);
  const options: ConfigParseOptions = { baseDir: dirname(resolve(path)) };
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || !('live' in doc || 'ib' in doc)) {
    return { config: parseRunnerConfig(doc, path, options) };
  }
  const { ib: _ib, live, ...rest } = doc as Record<string, unknown>;
  const bar = typeof live === 'object' && live !== null ? (live as Record<string, unknown>).bar : undefined;
  const liveBarMs = typeof bar === 'string' ? barIntervalMs(bar) : undefined;
  if (bar !== undefined && liveBarMs === undefined) throw new ConfigError(`live.bar: a bar interval such as "1m" or "15m", got ${JSON.stringify(bar)}`, path);
  return { config: parseRunnerConfig(rest, path, options), ...(liveBarMs !== undefined ? { liveBarMs } : {}) };
}
