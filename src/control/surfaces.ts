import { z } from 'zod';
import { ConfigError } from '../core/errors';
import { formatZodError } from '../core/schemas';
import type { EngineControl } from './control';
import { startHttpApi, type HttpApi } from './httpApi';
import { startTelegramBot, type TelegramBot, type TelegramLogEntry } from './telegramBot';

/**
 * The `interfaces` section of a runner config, and one call that starts what it asks for. Secrets stay in
 * the environment, never in the file: the HTTP token in the variable named by `http.tokenEnv`, the bot token
 * in TELEGRAM_BOT_TOKEN.
 *
 * ```json
 * "interfaces": {
 *   "http": { "port": 8787 },
 *   "telegram": { "allowedChatIds": [123456789] }
 * }
 * ```
 */
export const controlSurfacesConfigSchema = z.strictObject({
  http: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535),
      tokenEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name').default('ENGINE_HTTP_TOKEN'),
    })
    .optional(),
  telegram: z
    .strictObject({
      allowedChatIds: z.array(z.number().int()).min(1, 'at least one chat id'),
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
}

/** Validates `config` (a ConfigError names the field) and starts the HTTP API and/or the Telegram bot. */
export async function startControlSurfaces(
  control: EngineControl,
  config: unknown,
  { env = process.env, telegramLog }: ControlSurfacesEnvironment = {},
): Promise<ControlSurfaces> {
  const parsed = controlSurfacesConfigSchema.safeParse(config);
  if (!parsed.success) throw new ConfigError(formatZodError(parsed.error), 'interfaces');
  const { http, telegram } = parsed.data;

  const telegramBot =
    telegram === undefined ? undefined : startTelegramBot(control, { ...telegram, env, ...(telegramLog === undefined ? {} : { log: telegramLog }) });
  let httpApi: HttpApi | undefined;
  try {
    httpApi = http === undefined ? undefined : await startHttpApi(control, { host: http.host, port: http.port, token: env[http.tokenEnv] });
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
