import type { Contract } from '@stoqey/ib/dist/api/contract/contract';
import type { SecType } from '@stoqey/ib/dist/api/data/enum/sec-type';
import type { ContractBook, ContractSpec } from '../../core/types';

/** The IB contract of a spec (`config/contracts.json`'s `ib` fields). */
export function ibContractOf(spec: ContractSpec): Contract {
  return {
    symbol: spec.ib.symbol,
    secType: spec.ib.secType as SecType,
    exchange: spec.ib.exchange,
    currency: spec.ib.currency,
    ...(spec.ib.localSymbol ? { localSymbol: spec.ib.localSymbol } : {}),
  };
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
export function symbolResolver(book: ContractBook): (c: IbContractFields) => string | undefined {
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

/** `USD.JPY (CASH, IDEALPRO)`, for messages. */
export function describeIbContract(c: IbContractFields): string {
  return `${c.localSymbol || `${c.symbol}.${c.currency}`} (${c.secType})`;
}
