import { z } from 'zod';
import { ConfigError } from '../core/errors';
import { formatZodError } from '../core/schemas';
import type { EngineControl } from './control';
import { startHttpApi, type HttpApi, type HttpApiOptions } from './httpApi';
import { startTelegramBot, type TelegramBot, type TelegramLogEntry } from './telegramBot';

/**
 * The `interfaces` section of a runner config, and one call that starts what it asks for. Secrets stay in
 * the environment, never in the file: the HTTP token in the variable named by `http.tokenEnv` (none: one is
 * generated at start), the bot token in TELEGRAM_BOT_TOKEN.
 *
 * ```json
 * "interfaces": {
 *   "http": { "port": 8787 },
 *   "telegram": { "allowedChatIds": [123456789], "allowedUserIds": [123456789] }
 * }
 * ```
 */
export const controlSurfacesConfigSchema = z.strictObject({
  http: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535),
      /** Where the token is read; unset, a random one is generated at start and printed with the page URL. */
      tokenEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name').default('ENGINE_HTTP_TOKEN'),
      allowedHosts: z.array(z.string().min(1)).optional(),
      corsOrigins: z.array(z.url()).optional(),
      maxConnections: z.number().int().positive().optional(),
      maxEventStreams: z.number().int().positive().optional(),
      mutationsPerMinute: z.number().int().positive().optional(),
      logLevel: z.enum(['silent', 'error', 'warn', 'info', 'debug']).optional(),
    })
    .optional(),
  telegram: z
    .strictObject({
      allowedChatIds: z.array(z.number().int()).min(1, 'at least one chat id'),
      /** Users who may /kill, /resume, /flatten; everyone else in the allowed chats may only read. */
      allowedUserIds: z.array(z.number().int().positive()).optional(),
      maxClockSkewSec: z.number().nonnegative().optional(),
      baseUrl: z.url().optional(),
      parseMode: z.enum(['MarkdownV2', 'plain']).optional(),
      pollTimeoutSec: z.number().int().min(0).max(600).optional(),
      pushEvents: z.boolean().optional(),
      maxCommandAgeSec: z.number().positive().optional(),
    })
    .optional(),
});

export type ControlSurfacesConfig = z.input<typeof controlSurfacesConfigSchema>;

export interface ControlSurfaces {
  readonly http?: HttpApi;
  readonly telegram?: TelegramBot;
  /** Stops the bot and the HTTP API. */
  close(): Promise<void>;
}

export interface ControlSurfacesEnvironment {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly telegramLog?: (entry: TelegramLogEntry) => void;
  /** Options of the HTTP API that are not config (its log stream, limits in tests). */
  readonly http?: Partial<HttpApiOptions>;
}

/** Validates `config` (a ConfigError names the field) and starts the HTTP API and/or the Telegram bot. */
export async function startControlSurfaces(
  control: EngineControl,
  config: unknown,
  { env = process.env, telegramLog, ...overrides }: ControlSurfacesEnvironment = {},
): Promise<ControlSurfaces> {
  const parsed = controlSurfacesConfigSchema.safeParse(config);
  if (!parsed.success) throw new ConfigError(formatZodError(parsed.error), 'interfaces');
  const { http, telegram } = parsed.data;

  const telegramBot =
    telegram === undefined ? undefined : startTelegramBot(control, { ...telegram, env, ...(telegramLog === undefined ? {} : { log: telegramLog }) });
  let httpApi: HttpApi | undefined;
  try {
    if (http !== undefined) {
      const { tokenEnv, ...httpOptions } = http;
      const token = env[tokenEnv];
      httpApi = await startHttpApi(control, { ...httpOptions, token: token === '' ? undefined : token, ...overrides.http });
    }
  } catch (error) {
    await telegramBot?.stop();
    throw error;
  }
  return {
    http: httpApi,
    telegram: telegramBot,
    close: async () => {
      await Promise.all([telegramBot?.stop(), httpApi?.close()]);
    },
  };
}
