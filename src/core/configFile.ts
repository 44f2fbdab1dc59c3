import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ConfigError } from './errors';
import { formatZodError } from './schemas';

/** Validates a config document; a ConfigError names the source and every offending field (`a.b[2].c: …`). */
export function parseConfig<S extends z.ZodType>(schema: S, doc: unknown, source: string): z.output<S> {
  const parsed = schema.safeParse(doc);
  if (!parsed.success) throw new ConfigError(formatZodError(parsed.error), source);
  return parsed.data;
}

/** Reads and parses a JSON file; a ConfigError names the file when it cannot be read or is not JSON. */
export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read file (${(e as Error).message})`, path);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ConfigError(`not valid JSON (${(e as Error).message})`, path);
  }
}
