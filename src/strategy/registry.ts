import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../core/errors';
import { bracketSpecSchema, formatPath } from '../core/schemas';
import type { BracketSpec, ContractSpec } from '../core/types';
import type { StrategyDefinition } from './definition';
import { gotobiStrategy } from './gotobi';
import { loadStrategyModule } from './modules';
import { smaCrossStrategy } from './smaCross';
import type { Strategy } from './types';

/**
 * Strategies as a runner config lists them (`strategies: [...]`), each one of two forms:
 *
 * - a built-in, by `type`, its params beside it: `{ "id": "sma", "type": "smaCross", "symbol": "USDJPY", "fast": 20, "slow": 50 }`;
 * - a module of the user's, by `module` (a path relative to the config file), its params under `params`:
 *   `{ "id": "rsi", "module": "./strategies/rsiRevert.ts", "symbol": "USDJPY", "params": { "period": 14 } }`.
 *
 * Either may carry a `bracket`, and `reads`: the symbols it reads besides its own (a spread). Both are checked by their definition's zod params (objects are strict, so a
 * misspelt field is an error that names it: `strategies[1].fast: …`, `strategies[2].params.period: …`).
 */

/** The built-in strategies, by their config `type`. */
export const BUILT_IN_STRATEGIES: Readonly<Record<string, StrategyDefinition>> = { gotobi: gotobiStrategy, smaCross: smaCrossStrategy };

/** A built-in strategy in a config: its params are the entry's other fields. */
export interface BuiltInStrategyEntry {
  readonly id: string;
  readonly type: string;
  readonly symbol: string;
  readonly reads?: readonly string[];
  readonly bracket?: BracketSpec;
  readonly [param: string]: unknown;
}

/** A strategy module in a config; once the config is parsed, `module` is an absolute path. */
export interface ModuleStrategyEntry {
  readonly id: string;
  readonly module: string;
  readonly symbol: string;
  readonly reads?: readonly string[];
  readonly params: Readonly<Record<string, unknown>>;
  readonly bracket?: BracketSpec;
}

export type StrategyEntry = BuiltInStrategyEntry | ModuleStrategyEntry;

const id = z.string().min(1, 'a non-empty strategy id');
const symbol = z.string().regex(/^[A-Z0-9._-]+$/, 'an upper-case symbol present in contracts.json, such as "USDJPY"');

const reads = z.array(symbol).min(1, 'at least one symbol').optional();

const builtInEntrySchema = z.object({ id, type: z.string(), symbol, reads, bracket: bracketSpecSchema.optional() }).catchall(z.unknown());

const moduleEntrySchema = z.strictObject({
  id,
  module: z.string().min(1, 'the path of a strategy module, relative to the config file'),
  symbol,
  reads,
  params: z.record(z.string(), z.unknown()).default({}),
  bracket: bracketSpecSchema.optional(),
});

const isModuleEntry = (entry: StrategyEntry): entry is ModuleStrategyEntry => 'module' in entry;

/** One strategy entry: a built-in's params are checked here; a module's once it is loaded (`resolveStrategyModules`). */
export const strategyEntrySchema = z.unknown().transform((entry, ctx): StrategyEntry => {
  const fail = (issues: readonly { readonly message: string; readonly path?: readonly PropertyKey[] }[]): never => {
    for (const issue of issues) ctx.addIssue({ code: 'custom', message: issue.message, path: [...(issue.path ?? [])] });
    return z.NEVER;
  };
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    return fail([{ message: 'a strategy: { "id", "type" or "module", "symbol", … }' }]);
  }
  if ('module' in entry) {
    const parsed = moduleEntrySchema.safeParse(entry);
    return parsed.success ? parsed.data : fail(parsed.error.issues);
  }
  const parsed = builtInEntrySchema.safeParse(entry);
  if (!parsed.success) return fail(parsed.error.issues);
  const { id: entryId, type, symbol: entrySymbol, reads: entryReads, bracket, ...params } = parsed.data;
  const definition = BUILT_IN_STRATEGIES[type];
  if (definition === undefined) {
    return fail([{ path: ['type'], message: `unknown strategy type "${type}": one of ${Object.keys(BUILT_IN_STRATEGIES).join(', ')}, or a "module": "./path/to/strategy.ts" of yours` }]);
  }
  const checked = definition.params.safeParse(params);
  if (!checked.success) return fail(checked.error.issues);
  return {
    id: entryId,
    type,
    symbol: entrySymbol,
    ...(entryReads !== undefined ? { reads: entryReads } : {}),
    ...(bracket !== undefined ? { bracket } : {}),
    ...(checked.data as Record<string, unknown>),
  };
});

/**
 * A list of strategies whose ids are unique (each leg keeps its own position and trades by id); a
 * duplicate is reported at its own index: `[2].id: duplicate strategy id "sma"`.
 */
export const strategyEntriesSchema = z.array(strategyEntrySchema).superRefine((entries, ctx) => {
  const seen = new Set<string>();
  entries.forEach((entry, i) => {
    if (seen.has(entry.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate strategy id "${entry.id}"` });
    seen.add(entry.id);
  });
});

/** Where a config's relative module paths start and what its errors name. */
export interface ModuleResolution {
  /** The config file's directory (for a config given as an object: the working directory). */
  readonly baseDir: string;
  /** The config's name in errors: its path. */
  readonly source?: string;
  /** Where the entries sit in the config (errors: `strategies[2].params.period`). Default `['strategies']`. */
  readonly path?: readonly PropertyKey[];
}

/**
 * Loads the module of each module entry (relative to `baseDir`) and checks its params with the module's
 * definition: the entries come back with an absolute `module` path and their parsed params (defaults applied),
 * so the config means the same from any working directory or worker thread. Every problem goes into one
 * ConfigError naming the entry: `strategies[2].module: cannot load …`, `strategies[2].params.period: …`.
 */
export function resolveStrategyModules(entries: readonly StrategyEntry[], where: ModuleResolution): StrategyEntry[] {
  if (!entries.some(isModuleEntry)) return [...entries];
  const problems: string[] = [];
  const under = where.path ?? ['strategies'];
  const resolved = entries.map((entry, i) => {
    if (!isModuleEntry(entry)) return entry;
    const module = isAbsolute(entry.module) ? entry.module : resolve(where.baseDir, entry.module);
    try {
      const params = loadStrategyModule(module).parseParams(entry.params, { path: [...under, i, 'params'] });
      return { ...entry, module, params: params as Record<string, unknown> };
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(error.message.includes(module) ? `${formatPath([...under, i, 'module'])}: ${error.message}` : error.message);
      return entry;
    }
  });
  if (problems.length > 0) throw new ConfigError(problems.join('; '), where.source);
  return resolved;
}

/** The definition an entry names: a built-in by `type`, or its module. */
export function strategyDefinitionOf(entry: StrategyEntry): StrategyDefinition {
  if (isModuleEntry(entry)) return loadStrategyModule(resolve(entry.module));
  const definition = BUILT_IN_STRATEGIES[entry.type];
  if (definition === undefined) throw new ConfigError(`strategy "${entry.id}": unknown strategy type "${entry.type}"`);
  return definition;
}

/** An entry's params: a module's `params`, a built-in's fields besides id, type, symbol, reads and bracket. */
export function strategyParamsOf(entry: StrategyEntry): Readonly<Record<string, unknown>> {
  if (isModuleEntry(entry)) return entry.params;
  const { id: _id, type: _type, symbol: _symbol, reads: _reads, bracket: _bracket, ...params } = entry;
  return params;
}

/**
 * Builds the strategy an entry of a parsed config describes. `contract` is the entry's symbol's contract
 * (smaCross takes its tick size from it unless its params give one); a contract of another symbol is a
 * ConfigError.
 */
export function createStrategy(entry: StrategyEntry, contract: ContractSpec): Strategy {
  if (contract.symbol !== entry.symbol) {
    throw new ConfigError(`strategy "${entry.id}": symbol ${entry.symbol} was given the contract of ${contract.symbol}`);
  }
  return strategyDefinitionOf(entry).create({
    id: entry.id,
    symbol: entry.symbol,
    ...(entry.reads !== undefined ? { reads: entry.reads } : {}),
    params: strategyParamsOf(entry),
    contract,
    ...(entry.bracket !== undefined ? { bracket: entry.bracket } : {}),
    at: { source: `strategy "${entry.id}"`, path: isModuleEntry(entry) ? ['params'] : [] },
  });
}
