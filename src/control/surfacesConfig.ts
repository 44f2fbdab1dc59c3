import { z } from 'zod';

/**
 * The `interfaces` section of a runner config. A module of its own because every command reads configs: a
 * replay that only validates the section must not load the HTTP server and the bot (~150 ms of start-up;
 * `surfaces.ts` starts them). Secrets stay in the environment, never in the file: the HTTP token in the
 * variable named by `http.tokenEnv` (none: one is generated at start), the bot token in TELEGRAM_BOT_TOKEN.
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
