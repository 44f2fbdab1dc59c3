import type { Contract } from '@stoqey/ib/dist/api/contract/contract';
import type { SecType } from '@stoqey/ib/dist/api/data/enum/sec-type';
import { z } from 'zod';
import { parseConfig, readJsonFile } from '../../core/configFile';
import { DEFAULT_CONTRACTS_PATH, parseContracts } from '../../core/contracts';
import { currencyCodeSchema, secTypeSchema } from '../../core/schemas';
import type { ContractSpec } from '../../core/types';

/**
 * Contract mapping: how TWS names each of our symbols. The fields live in the `ib` block of each contract in
 * `config/contracts.json`; core reads the rest of the entry and leaves this block to the adapter, which checks
 * it here (errors name `USDJPY.ib.<field>`).
 */

/** A contract's `ib` block. */
export const ibContractSchema = z.strictObject({
  symbol: z.string().min(1),
  secType: secTypeSchema,
  exchange: z.string().min(1),
  currency: currencyCodeSchema,
  localSymbol: z.string().min(1).optional(),
});

export type IbContractBlock = z.output<typeof ibContractSchema>;

/** A contract spec with the IB contract it trades as: what the broker, the real-time sources and history take. */
export interface IbContractSpec extends ContractSpec {
  readonly ib: IbContractBlock;
}

export type IbContractBook = Readonly<Record<string, IbContractSpec>>;

/** Every entry of a contracts document needs its `ib` block here; core's own fields are checked by core. */
const ibBlocksSchema = z.record(z.string(), z.object({ ib: ibContractSchema }));

/** The specs of a parsed contracts document with their `ib` blocks; a ConfigError names `USDJPY.ib.<field>`. */
export function parseIbContracts(doc: unknown, source = 'contracts'): IbContractBook {
  const book = parseContracts(doc, source);
  const blocks = parseConfig(ibBlocksSchema, doc, source);
  const out: Record<string, IbContractSpec> = {};
  for (const [symbol, spec] of Object.entries(book)) out[symbol] = Object.freeze({ ...spec, ib: Object.freeze(blocks[symbol].ib) });
  return Object.freeze(out);
}

/** `config/contracts.json` (or `path`) read for IB. */
export function loadIbContracts(path = DEFAULT_CONTRACTS_PATH): IbContractBook {
  return parseIbContracts(readJsonFile(path), path);
}

/** The IB contract of a spec, as the client library sends it. */
export function ibContractOf(spec: IbContractSpec): Contract {
  return {
    symbol: spec.ib.symbol,
    secType: spec.ib.secType as SecType,
    exchange: spec.ib.exchange,
    currency: spec.ib.currency,
    ...(spec.ib.localSymbol ? { localSymbol: spec.ib.localSymbol } : {}),
  };
}

/** A key naming the instrument the way IB's pacing rules do (same contract, exchange and currency). */
export function ibContractKey(spec: IbContractSpec): string {
  return `${spec.ib.localSymbol ?? spec.ib.symbol}|${spec.ib.secType}|${spec.ib.exchange}|${spec.ib.currency}`;
}

/** The fields of an IB contract that identify it in a message (execDetails, position, openOrder). */
export interface IbContractFields {
  readonly symbol: string;
  readonly secType: string;
  readonly currency: string;
  readonly localSymbol?: string;
}

/**
 * Finds our symbol for a contract TWS names: by localSymbol when both have one (`USD.JPY`), else by
 * symbol + secType + currency. Undefined when the contract is not in the book.
 */
export function symbolResolver(book: IbContractBook): (c: IbContractFields) => string | undefined {
  const byLocal = new Map<string, string>();
  const byTriple = new Map<string, string>();
  for (const spec of Object.values(book)) {
    if (spec.ib.localSymbol) byLocal.set(`${spec.ib.secType}|${spec.ib.localSymbol}`, spec.symbol);
    byTriple.set(`${spec.ib.secType}|${spec.ib.symbol}|${spec.ib.currency}`, spec.symbol);
  }
  return (c) =>
    (c.localSymbol ? byLocal.get(`${c.secType}|${c.localSymbol}`) : undefined) ?? byTriple.get(`${c.secType}|${c.symbol}|${c.currency}`);
}

/** How many of TWS's quantity units one of our units is: futures trade in contracts, the rest in units. */
export function ibQuantityPerUnit(spec: ContractSpec): number {
  return spec.secType === 'FUT' ? 1 / spec.multiplier : 1;
}

/** `USD.JPY (CASH)`, for messages. */
export function describeIbContract(c: IbContractFields): string {
  return `${c.localSymbol || `${c.symbol}.${c.currency}`} (${c.secType})`;
}
