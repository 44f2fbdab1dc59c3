import { z } from 'zod';
import { ConfigError } from '../core/errors';
import { bracketSpecSchema } from '../core/schemas';
import { assertTimeZone, parseWallTime } from '../core/time';
import type { ContractSpec } from '../core/types';
import { GOTOBI_DEFAULT_TIMEZONE, gotobi } from './gotobi';
import { smaCross } from './smaCross';
import type { Strategy } from './types';

/**
 * Strategy specs as they appear in a runner config (`strategies: [...]`), validated by zod. Objects are
 * strict, so a misspelt field is an error that names it rather than a silently applied default.
 */

const id = z.string().min(1, 'a non-empty strategy id');
const symbol = z.string().regex(/^[A-Z0-9._-]+$/, 'an upper-case symbol present in contracts.json, such as "USDJPY"');
const contracts = z.number().finite().positive('must be > 0').default(1);

const wallTime = z.string().superRefine((value, ctx) => {
  try {
    parseWallTime(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

const timezone = z
  .string()
  .default(GOTOBI_DEFAULT_TIMEZONE)
  .superRefine((value, ctx) => {
    try {
      assertTimeZone(value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
  });

export const gotobiSpecSchema = z
  .strictObject({
    id,
    type: z.literal('gotobi'),
    symbol,
    side: z.enum(['long', 'short']),
    contracts,
    entry: wallTime,
    exit: wallTime,
    timezone,
    bracket: bracketSpecSchema.optional(),
  })
  .superRefine((spec, ctx) => {
    let entry: number;
    let exit: number;
    try {
      entry = parseWallTime(spec.entry);
      exit = parseWallTime(spec.exit);
    } catch {
      return; // already reported on the field itself
    }
    if (entry >= exit) {
      ctx.addIssue({ code: 'custom', path: ['exit'], message: `exit (${spec.exit}) must be after entry (${spec.entry})` });
    }
  });

export const smaCrossSpecSchema = z
  .strictObject({
    id,
    type: z.literal('smaCross'),
    symbol,
    fast: z.number().int('fast must be a whole number of bars').min(1),
    slow: z.number().int('slow must be a whole number of bars').min(2),
    contracts,
    /** Overrides the contract's tick size (the price grid the closes are compared on). */
    tickSize: z.number().finite().positive().optional(),
    bracket: bracketSpecSchema.optional(),
  })
  .superRefine((spec, ctx) => {
    if (spec.fast >= spec.slow) {
      ctx.addIssue({ code: 'custom', path: ['fast'], message: `fast (${spec.fast}) must be less than slow (${spec.slow})` });
    }
  });

/** One strategy of a runner config, discriminated by `type`. */
export const strategySpecSchema = z.discriminatedUnion('type', [gotobiSpecSchema, smaCrossSpecSchema]);

export type StrategySpec = z.output<typeof strategySpecSchema>;
export type GotobiSpec = z.output<typeof gotobiSpecSchema>;
export type SmaCrossSpec = z.output<typeof smaCrossSpecSchema>;

/** Ids that occur more than once, in order of their second occurrence. */
export function duplicateStrategyIds(specs: readonly { readonly id: string }[]): string[] {
  const seen = new Set<string>();
  const duplicates: string[] = [];
  for (const spec of specs) {
    if (seen.has(spec.id) && !duplicates.includes(spec.id)) duplicates.push(spec.id);
    seen.add(spec.id);
  }
  return duplicates;
}

/**
 * A list of strategies whose ids are unique (each leg keeps its own position and trades by id); a
 * duplicate is reported at its own index: `[2].id: duplicate strategy id "sma"`.
 */
export const strategySpecsSchema = z.array(strategySpecSchema).superRefine((specs, ctx) => {
  const seen = new Set<string>();
  specs.forEach((spec, i) => {
    if (seen.has(spec.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate strategy id "${spec.id}"` });
    seen.add(spec.id);
  });
});

/**
 * Builds the strategy a validated spec describes. `contract` is the spec's symbol's contract (smaCross
 * takes its tick size from it unless the spec overrides it); a contract of another symbol is a ConfigError.
 */
export function createStrategy(spec: StrategySpec, contract: ContractSpec): Strategy {
  if (contract.symbol !== spec.symbol) {
    throw new ConfigError(`strategy "${spec.id}": symbol ${spec.symbol} was given the contract of ${contract.symbol}`);
  }
  const strategy = spec.type === 'gotobi' ? gotobi(spec) : smaCross({ ...spec, tickSize: spec.tickSize ?? contract.tickSize });
  return spec.bracket === undefined ? strategy : { ...strategy, bracket: spec.bracket };
}
