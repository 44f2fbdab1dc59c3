import { resolve } from 'node:path';
import { ConfigError } from './errors';
import { parseConfig, readJsonFile } from './configFile';
import { contractsFileSchema } from './schemas';
import type { ContractBook, ContractSpec } from './types';

/** The contracts file shipped with the project. */
export const DEFAULT_CONTRACTS_PATH = resolve(__dirname, '../../config/contracts.json');

/**
 * Validates a parsed contracts document; errors name the symbol and field (`USDJPY.multiplier: …`). Venue
 * blocks (`ib`) are left to their adapters and are not part of the specs returned.
 */
export function parseContracts(doc: unknown, source = 'contracts'): ContractBook {
  const parsed = parseConfig(contractsFileSchema, doc, source);
  const book: Record<string, ContractSpec> = {};
  for (const [symbol, entry] of Object.entries(parsed)) {
    const { secType, baseCurrency, quoteCurrency, multiplier, tickSize, exchange } = entry;
    book[symbol] = Object.freeze({ symbol, secType, baseCurrency, quoteCurrency, multiplier, tickSize, exchange });
  }
  return Object.freeze(book);
}

export function loadContracts(path = DEFAULT_CONTRACTS_PATH): ContractBook {
  return parseContracts(readJsonFile(path), path);
}

/** The spec of `symbol` (a venue's richer spec when given its book), or a ConfigError listing the known symbols. */
export function contractFor<S extends ContractSpec>(book: Readonly<Record<string, S>>, symbol: string): S {
  const spec = book[symbol];
  if (!spec) throw new ConfigError(`unknown symbol "${symbol}"; contracts has ${Object.keys(book).join(', ')}`);
  return spec;
}

/** Contracts → units (strategies speak contracts, orders and fills units). */
export function unitsOf(spec: ContractSpec, contracts: number): number {
  return contracts * spec.multiplier;
}
