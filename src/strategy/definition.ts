import type { OperatorFunction } from 'rxjs';
import type { z } from 'zod';
import { ConfigError } from '../core/errors';
import { formatZodError } from '../core/schemas';
import type { Bar, BracketSpec, ContractSpec, StrategyInput, StrategyOutput } from '../core/types';
import { makeStrategy, warmupProblem, type BarsStrategy, type FillsStrategy, type Strategy, type Warmup } from './types';

/** What a definition's `create` is told besides its params: who the strategy is and what it trades. */
export interface StrategyContext {
  readonly id: string;
  readonly symbol: string;
  /** The symbols it reads besides its own (the config entry's `reads`): empty when none. */
  readonly reads: readonly string[];
  readonly contract: ContractSpec;
}

/** A zod object schema: its `shape` lists the params (a sweep reads their types there). */
export type ParamsSchema = z.ZodObject;

interface DefinitionBase<S extends ParamsSchema> {
  /** The params, as a zod object: config entries are checked with it, and errors name the field. */
  readonly params: S;
  /** The history it needs before its decisions are right (see `Warmup`), fixed or from its params. */
  readonly warmup: Warmup | ((params: z.output<S>) => Warmup);
}

/** What `defineStrategy` takes for a strategy of bars: `create` builds the decide operator from valid params. */
export interface BarsDefinitionSpec<S extends ParamsSchema> extends DefinitionBase<S> {
  readonly input?: 'bars';
  readonly create: (params: z.output<S>, context: StrategyContext) => OperatorFunction<Bar, StrategyOutput>;
}

/** What `defineStrategy` takes for a strategy of bars and its own fills. */
export interface FillsDefinitionSpec<S extends ParamsSchema> extends DefinitionBase<S> {
  readonly input: 'barsAndFills';
  readonly create: (params: z.output<S>, context: StrategyContext) => OperatorFunction<StrategyInput, StrategyOutput>;
}

export type StrategyDefinitionSpec<S extends ParamsSchema> = BarsDefinitionSpec<S> | FillsDefinitionSpec<S>;

/** What one config entry asks a definition for. */
export interface StrategyInstanceSpec {
  readonly id: string;
  readonly symbol: string;
  /** Symbols whose bars it reads besides its own. */
  readonly reads?: readonly string[];
  /** Checked against `params` here: a ConfigError names the field (see `ParamsLocation`). */
  readonly params: unknown;
  readonly contract: ContractSpec;
  readonly bracket?: BracketSpec;
  readonly at?: ParamsLocation;
}

/** Where params come from, for errors: `config/x.json: strategies[2].params.period: …`. */
export interface ParamsLocation {
  /** The document (a config file's path). */
  readonly source?: string;
  /** The params' path in it (`['strategies', 2, 'params']`). */
  readonly path?: readonly PropertyKey[];
}

/**
 * A kind of strategy, parametrised: what a strategy module exports and what the built-ins (`gotobi`,
 * `smaCross`) are. A runner config names it (`"type"` for a built-in, `"module"` for a file) and gives its
 * params; a sweep lists `params.shape` and builds one strategy per params object with `create`.
 */
export interface StrategyDefinition<P = Record<string, unknown>, S extends Strategy = Strategy> {
  readonly kind: 'strategyDefinition';
  readonly params: ParamsSchema;
  readonly input: 'bars' | 'barsAndFills';
  /** Validates params (zod output: defaults applied); a ConfigError names the field, where it is. */
  parseParams(params: unknown, at?: ParamsLocation): P;
  /** The warm-up of a strategy with these params (checked first). */
  warmup(params: unknown): Warmup;
  /** A strategy of this kind: its params are checked first. */
  create(instance: StrategyInstanceSpec): S;
}

/**
 * Defines a kind of strategy — the one function a strategy module calls for its export:
 *
 * ```ts
 * export default defineStrategy({
 *   params: z.strictObject({ period: z.number().int().min(2).default(14), contracts: z.number().positive().default(1) }),
 *   warmup: (p) => ({ bars: p.period + 1 }),
 *   create: (p, { symbol }) => (bars$) => bars$.pipe(filter((bar) => bar.symbol === symbol), …),
 * });
 * ```
 *
 * `create` returns the strategy's decide operator (bars → targets and intents; with `input: 'barsAndFills'`,
 * bars and its own fills → …). The engine checks the params with `params` before it is called, so `create`
 * sees valid, defaulted values.
 */
export function defineStrategy<S extends ParamsSchema>(spec: FillsDefinitionSpec<S>): StrategyDefinition<z.output<S>, FillsStrategy>;
export function defineStrategy<S extends ParamsSchema>(spec: BarsDefinitionSpec<S>): StrategyDefinition<z.output<S>, BarsStrategy>;
export function defineStrategy<S extends ParamsSchema>(spec: StrategyDefinitionSpec<S>): StrategyDefinition<z.output<S>> {
  if (spec === null || typeof spec !== 'object') throw new TypeError('defineStrategy: expected { params, warmup, create }');
  if (!isParamsSchema(spec.params)) throw new TypeError('defineStrategy: params must be a zod object schema, such as z.strictObject({ … })');
  if (typeof spec.create !== 'function') throw new TypeError('defineStrategy: create must be a function (params, context) => decide operator');
  if (typeof spec.warmup !== 'function' && warmupProblem(spec.warmup) !== undefined) {
    throw new TypeError(`defineStrategy: warmup: ${warmupProblem(spec.warmup) ?? ''}`);
  }
  type P = z.output<S>;
  const parseParams = (params: unknown, at: ParamsLocation = {}): P => {
    const parsed = spec.params.safeParse(params ?? {});
    if (!parsed.success) throw new ConfigError(formatZodError(parsed.error, at.path ?? ['params']), at.source);
    return parsed.data as P;
  };
  const warmupOf = (params: P): Warmup => (typeof spec.warmup === 'function' ? spec.warmup(params) : spec.warmup);
  return {
    kind: 'strategyDefinition',
    params: spec.params,
    input: spec.input ?? 'bars',
    parseParams,
    warmup: (params) => warmupOf(parseParams(params)),
    create(instance) {
      const params = parseParams(instance.params, instance.at);
      const context: StrategyContext = { id: instance.id, symbol: instance.symbol, reads: instance.reads ?? [], contract: instance.contract };
      const base = {
        id: instance.id,
        symbol: instance.symbol,
        ...(instance.reads !== undefined ? { reads: instance.reads } : {}),
        warmup: warmupOf(params),
        ...(instance.bracket !== undefined ? { bracket: instance.bracket } : {}),
      };
      return spec.input === 'barsAndFills'
        ? makeStrategy({ ...base, input: 'barsAndFills', decide: spec.create(params, context) })
        : makeStrategy({ ...base, decide: spec.create(params, context) });
    },
  };
}

/**
 * Whether `value` is a definition made by `defineStrategy`, judged by its shape: a module compiled or loaded
 * on its own may hold its own copy of this file (and of zod).
 */
export function isStrategyDefinition(value: unknown): value is StrategyDefinition {
  if (value === null || typeof value !== 'object') return false;
  const d = value as Partial<StrategyDefinition>;
  return d.kind === 'strategyDefinition' && typeof d.create === 'function' && typeof d.parseParams === 'function' && isParamsSchema(d.params);
}

function isParamsSchema(value: unknown): value is ParamsSchema {
  return value !== null && typeof value === 'object' && typeof (value as { safeParse?: unknown }).safeParse === 'function' && typeof (value as { shape?: unknown }).shape === 'object';
}
