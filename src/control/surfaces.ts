import { ConfigError } from '../core/errors';
import { formatZodError } from '../core/schemas';
import type { EngineControl } from './control';
import { startHttpApi, type HttpApi, type HttpApiOptions } from './httpApi';
import { controlSurfacesConfigSchema } from './surfacesConfig';
import { startTelegramBot, type TelegramBot, type TelegramLogEntry } from './telegramBot';

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
