import { basename } from 'node:path';
import type { ContractBook } from '../core/types';

/**
 * The contract symbol a file name names (`usdjpy.parquet`, `USDJPY_2024-1m.csv`, `USDJPY_A2.parquet` →
 * USDJPY), if exactly one; every command that reads a bar file (replay, inspect, convert) resolves it so.
 */
export function symbolFromFileName(file: string, contracts: ContractBook): string | undefined {
  const name = basename(file)
    .replace(/(\.[A-Za-z0-9]+)+$/, '')
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, '');
  const hits = Object.keys(contracts).filter((symbol) => name.includes(symbol.replace(/[^A-Z0-9]/g, '')));
  return hits.length === 1 ? hits[0] : undefined;
}

/** `--symbol usdjpy` means USDJPY: symbols are upper case. */
export function normalizeSymbolFlag(symbol: string | undefined): string | undefined {
  return symbol === undefined ? undefined : symbol.trim().toUpperCase();
}
