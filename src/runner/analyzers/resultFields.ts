import { z } from 'zod';

/**
 * Field schemas the analyzers' results and the replay report are written with: each result type is inferred
 * from its schema, and the report reads a saved `--json` back with the same schemas.
 */
export const num = z.number();
export const nullableNum = num.nullable();
/** UTC epoch milliseconds. */
export const epochMs = z.number().int();
export const nullableTs = epochMs.nullable();
export const count = z.number().int().nonnegative();
/** Why a figure is `null` (or `null` when it is not). */
export const reasonText = z.string().nullable();
