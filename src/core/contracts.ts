import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from './errors';
import { contractsFileSchema, formatZodError } from './schemas';
import type { ContractBook, ContractSpec } from './types';

/** The contracts file shipped with the project. */
export const DEFAULT_CONTRACTS_PATH = resolve(__dirname, '../../config/contracts.json');

/** Validates a parsed contracts document; errors name the symbol and field (`USDJPY.multiplier: …`). */
export function parseContracts(doc: unknown, source = 'contracts'): ContractBook {
  const parsed = contractsFileSchema.safeParse(doc);
  if (!parsed.success) throw new ConfigError(formatZodError(parsed.error), source);
  const book: Record<string, ContractSpec> = {};
  for (const [symbol, spec] of Object.entries(parsed.data)) book[symbol] = Object.freeze({ symbol, ...spec });
  return Object.freeze(book);
}

export function loadContracts(path = DEFAULT_CONTRACTS_PATH): ContractBook {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read contracts file (${(e as Error).message})`, path);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`not valid JSON (${(e as Error).message})`, path);
  }
  return parseContracts(doc, path);
}

/** The spec of `symbol`, or a ConfigError listing the known symbols. */
export function contractFor(book: ContractBook, symbol: string): ContractSpec {
  const spec = book[symbol];
  if (!spec) throw new ConfigError(`unknown symbol "${symbol}"; contracts has ${Object.keys(book).join(', ')}`);
  return spec;
}

/** Contracts → units (strategies speak contracts, orders and fills units). */
export function unitsOf(spec: ContractSpec, contracts: number): number {
  return contracts * spec.multiplier;
}
