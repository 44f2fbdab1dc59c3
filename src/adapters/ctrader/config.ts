import { z } from 'zod';
import { ConfigError } from '../../core/errors';
import { formatZodError } from '../../core/schemas';

/**
 * Where and as whom the Open API client connects. A config file's `ctrader` section gives the values; the
 * environment overrides them (so secrets can stay out of files):
 *
 * | field        | environment             | default               |
 * |--------------|-------------------------|-----------------------|
 * | host         | CTRADER_HOST            | `demo.ctraderapi.com` (demo first; `live.ctraderapi.com` for live accounts) |
 * | port         | CTRADER_PORT            | 5036 (the JSON port)  |
 * | tls          | CTRADER_TLS             | true (the proxies require TLS: `wss://`) |
 * | clientId     | CTRADER_CLIENT_ID       | required              |
 * | clientSecret | CTRADER_CLIENT_SECRET   | required              |
 * | accessToken  | CTRADER_ACCESS_TOKEN    | required              |
 * | accountId    | CTRADER_ACCOUNT_ID      | required (the ctidTraderAccountId) |
 */
export interface CtraderConfig {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly accessToken: string;
  readonly accountId: number;
}

export const ctraderEnvNames = {
  host: 'CTRADER_HOST',
  port: 'CTRADER_PORT',
  tls: 'CTRADER_TLS',
  clientId: 'CTRADER_CLIENT_ID',
  clientSecret: 'CTRADER_CLIENT_SECRET',
  accessToken: 'CTRADER_ACCESS_TOKEN',
  accountId: 'CTRADER_ACCOUNT_ID',
} as const satisfies Record<keyof CtraderConfig, string>;

const required = (what: string) => z.string({ error: `is required (${what})` }).min(1, `is required (${what})`);

export const ctraderConfigSchema = z.strictObject({
  host: z.string().min(1, 'must be a host name').default('demo.ctraderapi.com'),
  port: z.number().int().min(1).max(65535, 'must be a TCP port 1-65535').default(5036),
  tls: z.boolean().default(true),
  clientId: required('the Open API application client id'),
  clientSecret: required('the Open API application client secret'),
  accessToken: required("an OAuth access token for the trader's account"),
  accountId: z.number({ error: 'is required (the ctidTraderAccountId, an integer)' }).int('must be an integer ctidTraderAccountId').positive(),
});

/**
 * The effective config: `section` (a config file's `ctrader` object, or nothing) overridden by the environment.
 * A bad or missing value is a `ConfigError` naming both the field and its environment variable.
 */
export function resolveCtraderConfig(section: unknown = {}, env: NodeJS.ProcessEnv = process.env, source = 'cTrader config'): CtraderConfig {
  if (section === null || typeof section !== 'object' || Array.isArray(section)) {
    throw new ConfigError('the ctrader section must be an object', source);
  }
  const merged: Record<string, unknown> = { ...(section as Record<string, unknown>) };
  for (const [field, name] of Object.entries(ctraderEnvNames)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    merged[field] = fromEnv(field as keyof CtraderConfig, name, raw, source);
  }
  const parsed = ctraderConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const field = String(issue.path[0] ?? '');
      const envName = (ctraderEnvNames as Record<string, string>)[field];
      return `${field}${envName ? ` (${envName})` : ''}: ${issue.message}`;
    });
    throw new ConfigError(lines.length > 0 ? lines.join('; ') : formatZodError(parsed.error), source);
  }
  return parsed.data;
}

function fromEnv(field: keyof CtraderConfig, name: string, raw: string, source: string): string | number | boolean {
  if (field === 'port' || field === 'accountId') {
    if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a positive integer, got "${raw}"`, source);
    return Number(raw);
  }
  if (field === 'tls') {
    if (/^(1|true|yes)$/i.test(raw)) return true;
    if (/^(0|false|no)$/i.test(raw)) return false;
    throw new ConfigError(`${name} must be true or false, got "${raw}"`, source);
  }
  return raw;
}

/** `wss://host:port` (or `ws://` without TLS, e.g. a local fake server). */
export function ctraderUrl(config: Pick<CtraderConfig, 'host' | 'port' | 'tls'>): string {
  const host = config.host.includes(':') && !config.host.startsWith('[') ? `[${config.host}]` : config.host;
  return `${config.tls ? 'wss' : 'ws'}://${host}:${config.port}`;
}
