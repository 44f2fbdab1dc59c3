import { z } from 'zod';
import { parseConfig } from '../core/configFile';
import type { ContractSpec } from '../core/types';

/**
 * Commission of one execution, in the instrument's QUOTE currency (JPY for USDJPY), ≥ 0.
 * Called once per fill, never per bar.
 */
export type CommissionModel = (qtyUnits: number, price: number, spec: ContractSpec) => number;

const nonNegative = z.number().finite().nonnegative();

/**
 * `broker.commission` in a runner config. Every part is optional and zero by default (Backtrader's default
 * is no commission); the parts add up, then `minimum` is applied per fill:
 * - `perUnit`: per unit traded (100,000 for one FX contract);
 * - `perContract`: per contract (units / multiplier);
 * - `bps`: basis points of the traded notional in the quote currency (qty × price × bps / 10,000);
 * - `minimum`: the smallest commission of a fill.
 */
export const commissionConfigSchema = z.strictObject({
  perUnit: nonNegative.optional(),
  perContract: nonNegative.optional(),
  bps: nonNegative.optional(),
  minimum: nonNegative.optional(),
});

export type CommissionConfig = z.infer<typeof commissionConfigSchema>;

/** Validates a commission config; the error names the field (`broker.commission.bps: …`). */
export function parseCommissionConfig(doc: unknown, source = 'broker.commission'): CommissionConfig {
  return parseConfig(commissionConfigSchema, doc, source);
}

/** No commission: the default. */
export const zeroCommission: CommissionModel = () => 0;

/** The commission model a config describes (trusted: parse it with {@link parseCommissionConfig} first). */
export function commissionModel(config: CommissionConfig = {}): CommissionModel {
  const perUnit = config.perUnit ?? 0;
  const perContract = config.perContract ?? 0;
  const rate = (config.bps ?? 0) / 10_000;
  const minimum = config.minimum ?? 0;
  if (perUnit === 0 && perContract === 0 && rate === 0 && minimum === 0) return zeroCommission;
  return (qty, price, spec) => {
    const raw = perUnit * qty + (perContract * qty) / spec.multiplier + rate * qty * price;
    return raw > minimum ? raw : minimum;
  };
}
