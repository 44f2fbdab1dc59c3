import type { AddressInfo } from 'node:net';
import fastifyCors from '@fastify/cors';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ConfigError } from '../core/errors';
import { formatZodError } from '../core/schemas';
import { ReadOnlyError, UnknownStrategyError, type EngineControl } from './control';
import { openEventStream, type EventStreams, createEventStreams } from './eventStream';
import { generateToken, hostAllowed, isLoopbackName, MIN_TOKEN_LENGTH, redactToken, tokenCheck } from './httpAccess';
import { dashboardAssets, type PageAsset } from '../ui/bundle';

/**
 * The engine's HTTP control surface, on Fastify. JSON in and out:
 *
 *   GET  /                       the dashboard page (its scripts under /assets/), no data in it
 *   GET  /health                 liveness
 *   GET  /openapi.json           this API, generated from the route schemas
 *   GET  /status | /positions | /pnl
 *   GET  /orders?limit=N | /fills?limit=N     most recent last
 *   GET  /events                 Server-Sent Events of ControlEvents (`id` = seq; Last-Event-ID resumes)
 *   GET  /journal/fills?from=&to= the journal's fills (every run's) by event time: ISO 8601 or epoch ms (live with a journal)
 *   POST /kill                   {"on": true, "reason": "…"} | {"on": false, "reason"?: "…"}   engine-wide kill switch
 *   POST /kill/:strategyId       {"reason": "…"}           one strategy's kill switch
 *   POST /flatten[/:strategyId]  {"reason"?: "…"}          cancel working orders, close at market, hold flat (202)
 *   POST /resume[/:strategyId]   {"reason"?: "…"}          end the halts (all: the kill switch too); re-align with targets
 *   POST /reconcile              {"symbol": "USDJPY", "strategyId"?: "…", "reason": "…"}: book the broker's position (journaled)
 *
 * Secure by default: there is always a token. Every route but the page, its assets, /health and
 * /openapi.json needs `Authorization: Bearer <token>`; with none configured one is generated at start (read
 * it back from `token` / `dashboardUrl`). The `Host` header must be a loopback name, the bound address or a
 * name in `allowedHosts` (DNS rebinding). Connections, event streams, header and body time and body size are
 * capped; the mutating routes are rate limited; CORS is off unless `corsOrigins` lists origins.
 *
 * Errors are `{"error": {"code", "message"}}`; a bad body names the field and the rule broken.
 */
export interface HttpApiOptions {
  /** Default 127.0.0.1. Any other address requires a configured `token`. */
  readonly host?: string;
  /** 0 picks a free port; read it back from `url`. */
  readonly port: number;
  /** At least 16 characters. Absent: a random one is generated at start. */
  readonly token?: string;
  /** `Host` names accepted besides loopback names and the bound address (e.g. a reverse proxy's name). */
  readonly allowedHosts?: readonly string[];
  /** Origins allowed to call the API from another site's page (CORS). Default none: CORS off. */
  readonly corsOrigins?: readonly string[];
  /** Largest accepted request body, enforced while reading. Default 16 KiB. */
  readonly maxBodyBytes?: number;
  /** Open sockets at once; more are closed on arrival. Default 64. */
  readonly maxConnections?: number;
  /** Event-stream clients at once; more get 503. Default 16. */
  readonly maxEventStreams?: number;
  /** A client must send its request headers within this time. Default 5 s. */
  readonly headersTimeoutMs?: number;
  /** A client must send its whole request (headers and body) within this time. Default 10 s. */
  readonly requestTimeoutMs?: number;
  /** Idle keep-alive sockets are closed after this time. Default 5 s. */
  readonly keepAliveTimeoutMs?: number;
  /** Mutating requests (kill, flatten) per client address and minute. Default 30. */
  readonly mutationsPerMinute?: number;
  /** Comment line sent on idle event streams so proxies keep them open. Default 15 s. */
  readonly sseHeartbeatMs?: number;
  /** An event-stream client that lets this much output pile up unread is disconnected. Default 1 MiB. */
  readonly sseMaxBufferedBytes?: number;
  /** Serve the dashboard page at `/`. Default true. */
  readonly dashboard?: boolean;
  /** Request log (one JSON line per request, with its id). Default 'info'. */
  readonly logLevel?: LogLevel;
  /** Where the request log goes. Default stderr, so a JSON log on stdout stays clean. */
  readonly logStream?: NodeJS.WritableStream;
}

export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug';

export interface HttpApi {
  /** `http://host:port`, with the port actually bound. */
  readonly url: string;
  /** The dashboard with the token, to open in a browser: `http://127.0.0.1:PORT/?token=…`. */
  readonly dashboardUrl: string;
  readonly token: string;
  /** True when no token was configured and this one was generated at start. */
  readonly tokenGenerated: boolean;
  /** Ends event streams and open connections, then stops listening. Idempotent. */
  close(): Promise<void>;
}

const optionsSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535),
  token: z
    .string()
    .min(MIN_TOKEN_LENGTH, `at least ${MIN_TOKEN_LENGTH} characters (a short token can be guessed)`)
    .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
    .optional(),
  allowedHosts: z.array(z.string().min(1).transform((s) => s.toLowerCase())).default([]),
  corsOrigins: z.array(z.url()).default([]),
  maxBodyBytes: z.number().int().positive().default(16 * 1024),
  maxConnections: z.number().int().positive().default(64),
  maxEventStreams: z.number().int().positive().default(16),
  headersTimeoutMs: z.number().int().positive().default(5000),
  requestTimeoutMs: z.number().int().positive().default(10_000),
  keepAliveTimeoutMs: z.number().int().positive().default(5000),
  mutationsPerMinute: z.number().int().positive().default(30),
  sseHeartbeatMs: z.number().int().positive().default(15_000),
  sseMaxBufferedBytes: z.number().int().positive().default(1024 * 1024),
  dashboard: z.boolean().default(true),
  logLevel: z.enum(['silent', 'error', 'warn', 'info', 'debug']).default('info'),
});

const errorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) }).describe('What went wrong');

const reasonSchema = z.string().trim().min(1, 'must not be empty').max(500);

const killRequestSchema = z
  .strictObject({
    on: z.boolean().describe('true: refuse new exposure; false: resume'),
    reason: reasonSchema.optional().describe('required when "on" is true'),
  })
  .superRefine((body, ctx) => {
    if (body.on && body.reason === undefined) {
      ctx.addIssue({ code: 'custom', path: ['reason'], message: 'required when "on" is true' });
    }
  });

const killSwitchStateSchema = z.object({ on: z.boolean(), reason: z.string(), since: z.number().nullable() });

const listQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(10_000).optional().describe('most recent N (all retained when absent)'),
});

const strategyKillSchema = z.strictObject({ reason: reasonSchema.describe('why the strategy is stopped') });
// No body at all is fine: Fastify hands a body-less POST on as null.
const optionalReasonSchema = z.strictObject({ reason: reasonSchema.optional() }).nullish();
const strategyHaltStateSchema = z.object({ halt: z.enum(['killed', 'flat']).nullable(), reason: z.string(), since: z.number().nullable() });

const strategyParamsSchema = z.object({
  strategyId: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'letters, digits, ".", "_", ":" or "-", at most 64'),
});

/** A time bound: ISO 8601 (`2024-01-05`, `2024-01-05T00:55:00Z`) or epoch milliseconds. */
const timeBound = z
  .string()
  .trim()
  .transform((text, ctx) => {
    const ms = /^-?\d+$/.test(text) ? Number(text) : Date.parse(text);
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: 'custom', message: `expected ISO 8601 (2024-01-05T00:55:00Z) or epoch ms, got "${text}"` });
      return z.NEVER;
    }
    return ms;
  });

const journalRangeSchema = z.object({
  from: timeBound.optional().describe('event time from (inclusive): ISO 8601 or epoch ms'),
  to: timeBound.optional().describe('event time to (exclusive): ISO 8601 or epoch ms'),
});

const reconcileRequestSchema = z.strictObject({
  symbol: z.string().regex(/^[A-Za-z0-9._-]{1,32}$/, 'letters, digits, ".", "_" or "-", at most 32'),
  strategyId: strategyParamsSchema.shape.strategyId.optional().describe('default: the first strategy trading the symbol'),
  reason: z.string().trim().min(1, 'must not be empty').max(500).describe('why the broker\'s position is the right one (journaled)'),
});

const eventsHeadersSchema = z.object({
  'last-event-id': z.coerce.number().int().nonnegative().optional().describe('resume after this event id (0: every retained event)'),
});

/** Where a validation error was found, as the error message names it. */
const PART_NAMES: Readonly<Record<string, string>> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' };

const EVERY_METHOD = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT', 'OPTIONS'] as const;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Answered without the token (the page, its assets, /health, /openapi.json). */
    readonly public?: boolean;
  }
}

export async function startHttpApi(control: EngineControl, options: HttpApiOptions): Promise<HttpApi> {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) throw new ConfigError(formatZodError(parsed.error), 'HTTP API options');
  const config = parsed.data;
  if (config.token === undefined && !isLoopbackName(config.host)) {
    throw new ConfigError(`host "${config.host}" is not loopback: set a bearer token`, 'HTTP API options');
  }
  const token = config.token ?? generateToken();
  const auth = tokenCheck(token);
  const allowedHosts = new Set(config.allowedHosts);
  if (config.host !== '0.0.0.0' && config.host !== '::') allowedHosts.add(config.host.toLowerCase());
  const streams: EventStreams = createEventStreams();
  const pages = config.dashboard ? dashboardAssets() : undefined;
  // A failed build is reported when the page is asked for, not as an unhandled rejection now.
  pages?.catch(() => undefined);

  const app = Fastify({
    http: { headersTimeout: config.headersTimeoutMs, requestTimeout: config.requestTimeoutMs, connectionsCheckingInterval: Math.min(1000, config.headersTimeoutMs) },
    requestTimeout: config.requestTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    bodyLimit: config.maxBodyBytes,
    forceCloseConnections: true,
    routerOptions: { ignoreTrailingSlash: true },
    logger:
      config.logLevel === 'silent'
        ? false
        : {
            level: config.logLevel,
            stream: options.logStream ?? process.stderr,
            serializers: {
              req: (req: { method: string; url: string; ip?: string }) => ({ method: req.method, url: redactToken(req.url), remoteAddress: req.ip }),
            },
          },
    frameworkErrors: (error, _request, reply) => {
      if (error.code === 'FST_ERR_BAD_URL') return sendError(reply, 400, 'BAD_PATH', 'the path is not valid percent-encoding');
      return sendError(reply, error.statusCode ?? 400, 'BAD_REQUEST', error.message);
    },
  }).withTypeProvider<ZodTypeProvider>();
  app.server.maxConnections = config.maxConnections;
  // JSON only: a text/plain body is refused (415) instead of reaching a route as a string.
  app.removeContentTypeParser(['text/plain']);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Engine control API', version: '1', description: 'Status, positions, PnL, orders, fills, the event stream, the kill switch and flatten.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  if (config.corsOrigins.length > 0) {
    await app.register(fastifyCors, { origin: config.corsOrigins, methods: ['GET', 'POST'], allowedHeaders: ['authorization', 'content-type', 'last-event-id'] });
  }
  await app.register(fastifyRateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) => ({
      statusCode: context.statusCode,
      code: 'RATE_LIMITED',
      message: `more than ${context.max} changes in ${context.after}; wait and retry`,
    }),
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (!hostAllowed(request.headers.host, allowedHosts)) {
      return sendError(reply, 403, 'FORBIDDEN_HOST', `Host "${request.headers.host ?? ''}" is not served: use a loopback name or one listed in allowedHosts`);
    }
    if (request.routeOptions.config.public === true) return;
    if (!auth.matchesBearer(request.headers.authorization)) {
      reply.header('www-authenticate', 'Bearer');
      return sendError(reply, 401, 'UNAUTHORIZED', 'missing or wrong bearer token');
    }
  });
  app.addHook('onSend', async (_request, reply) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
  });

  app.setNotFoundHandler((request, reply) => sendError(reply, 404, 'NOT_FOUND', `no route ${request.url.split('?')[0]}`));
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const part = PART_NAMES[error.validationContext ?? ''] ?? String(error.validationContext);
      const issues = error.validation.map((v) => `${v.instancePath.replace(/^\//, '').replaceAll('/', '.') || '(root)'}: ${v.message}`);
      return sendError(reply, 400, 'VALIDATION', `${part} ${issues.join('; ')}`);
    }
    switch (error.code) {
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendError(reply, 415, 'UNSUPPORTED_MEDIA_TYPE', 'body must be JSON (Content-Type: application/json)');
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        // Stop here: the socket is closed once the answer is out, so the rest of the body is never read.
        reply.header('connection', 'close');
        return sendError(reply, 413, 'BODY_TOO_LARGE', `body exceeds ${config.maxBodyBytes} bytes`);
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return sendError(reply, 400, 'INVALID_JSON', `body is not valid JSON (${error.message})`);
      case 'RATE_LIMITED':
        return sendError(reply, 429, 'RATE_LIMITED', error.message);
    }
    if (error instanceof SyntaxError) return sendError(reply, 400, 'INVALID_JSON', `body is not valid JSON (${error.message})`);
    const status = error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    return sendError(reply, status, status >= 500 ? 'INTERNAL' : 'BAD_REQUEST', error.message);
  });

  const onlyMethod = (url: string, allowed: 'GET' | 'POST'): void => {
    const methods = EVERY_METHOD.filter((m) => (allowed === 'GET' ? m !== 'GET' && m !== 'HEAD' : m !== 'POST'))
      // With CORS on, its plugin answers preflight requests.
      .filter((m) => config.corsOrigins.length === 0 || m !== 'OPTIONS');
    app.route({
      method: [...methods],
      url,
      schema: { hide: true },
      handler: (_request, reply) => {
        reply.header('allow', allowed === 'GET' ? 'GET, HEAD' : 'POST');
        return sendError(reply, 405, 'METHOD_NOT_ALLOWED', `use ${allowed}`);
      },
    });
  };
  const tags = ['engine'];
  const failures = { 400: errorBody, 401: errorBody, 403: errorBody, 409: errorBody };

  app.get('/health', { config: { public: true }, schema: { tags, summary: 'Liveness (no token needed)', security: [], response: { 200: z.object({ ok: z.literal(true) }) } } }, async () => ({ ok: true as const }));
  onlyMethod('/health', 'GET');
  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
  onlyMethod('/openapi.json', 'GET');

  app.get('/status', { schema: { tags, summary: 'Mode, connection, kill switch, strategies, the last event id' } }, async () => control.status());
  onlyMethod('/status', 'GET');
  app.get('/positions', { schema: { tags, summary: 'Positions per strategy and symbol' } }, async () => ({ positions: control.positions() }));
  onlyMethod('/positions', 'GET');
  app.get('/pnl', { schema: { tags, summary: 'Realized and unrealized PnL per strategy and for the account' } }, async () => control.pnl());
  onlyMethod('/pnl', 'GET');
  for (const route of ['orders', 'fills'] as const) {
    app.get(`/${route}`, { schema: { tags, summary: `Recent ${route}, oldest first`, querystring: listQuerySchema } }, async (request) => {
      const all = route === 'orders' ? control.orders() : control.fills();
      const limit = request.query.limit ?? all.length;
      return { [route]: all.slice(Math.max(0, all.length - limit)) };
    });
    onlyMethod(`/${route}`, 'GET');
  }
  app.get(
    '/events',
    { schema: { tags, summary: 'Server-Sent Events: fills, orders, bars, book, connection, kill switch, notices', headers: eventsHeadersSchema } },
    (request, reply) => {
      if (streams.size() >= config.maxEventStreams) {
        sendError(reply, 503, 'TOO_MANY_STREAMS', `at most ${config.maxEventStreams} event streams at once`);
        return;
      }
      openEventStream(control, streams, request, reply, {
        afterSeq: request.headers['last-event-id'],
        heartbeatMs: config.sseHeartbeatMs,
        maxBufferedBytes: config.sseMaxBufferedBytes,
      });
    },
  );
  onlyMethod('/events', 'GET');

  const mutating = { rateLimit: { max: config.mutationsPerMinute, timeWindow: 60_000 } };
  app.post(
    '/kill',
    {
      config: mutating,
      schema: { tags, summary: 'Kill switch on (refuse new exposure) or off', body: killRequestSchema, response: { 200: z.object({ killSwitch: killSwitchStateSchema }), ...failures } },
    },
    async (request, reply) => {
      const { on, reason } = request.body;
      return refusals(reply, () => ({ killSwitch: control.setKillSwitch(on, reason ?? 'resumed through the HTTP API', SOURCE) }));
    },
  );
  onlyMethod('/kill', 'POST');
  app.post(
    '/kill/:strategyId',
    {
      config: mutating,
      schema: {
        tags,
        summary: "One strategy's kill switch on: its new exposure refused, its working entries cancelled (resume: /resume/:strategyId)",
        params: strategyParamsSchema,
        body: strategyKillSchema,
        response: { 200: z.object({ strategyId: z.string(), state: strategyHaltStateSchema }), ...failures, 404: errorBody },
      },
    },
    async (request, reply) => {
      const { strategyId } = request.params;
      return refusals(reply, () => ({ strategyId, state: control.killStrategy(strategyId, request.body.reason, SOURCE) }));
    },
  );
  onlyMethod('/kill/:strategyId', 'POST');
  /** `POST /<action>` for every strategy and `POST /<action>/:strategyId` for one: the same optional reason, the same answer. */
  const forAllOrOne = (
    action: 'flatten' | 'resume',
    summaries: { readonly all: string; readonly one: string },
    response: Readonly<Record<number, z.ZodType>>,
    act: (strategyId: string | undefined, reason: string | undefined, reply: FastifyReply) => unknown,
  ): void => {
    app.post(`/${action}`, { config: mutating, schema: { tags, summary: summaries.all, body: optionalReasonSchema, response } }, async (request, reply) =>
      act(undefined, request.body?.reason, reply),
    );
    onlyMethod(`/${action}`, 'POST');
    app.post(
      `/${action}/:strategyId`,
      { config: mutating, schema: { tags, summary: summaries.one, params: strategyParamsSchema, body: optionalReasonSchema, response } },
      async (request, reply) => act(request.params.strategyId, request.body?.reason, reply),
    );
    onlyMethod(`/${action}/:strategyId`, 'POST');
  };
  forAllOrOne(
    'flatten',
    {
      all: 'Flatten every strategy: cancel its working orders, close at market, hold flat until resumed',
      one: 'Flatten one strategy: cancel its working orders, close its position at market, hold it flat until resumed',
    },
    { 202: z.object({ flattening: z.array(z.string()) }), ...failures, 404: errorBody },
    (strategyId, reason, reply) =>
      refusals(reply, () => reply.code(202).send({ flattening: [...control.flatten(strategyId, reason ?? 'flattened through the HTTP API', SOURCE)] })),
  );
  forAllOrOne(
    'resume',
    { all: 'Kill switch off and every strategy resumed: each re-aligned with its latest target', one: "End one strategy's kill or flatten: it is re-aligned with its latest target" },
    { 200: z.object({ killSwitch: killSwitchStateSchema, halts: z.record(z.string(), strategyHaltStateSchema) }), ...failures, 404: errorBody },
    (strategyId, reason, reply) =>
      refusals(reply, () => {
        control.resume(strategyId, reason ?? 'resumed through the HTTP API', SOURCE);
        const { killSwitch, halts } = control.status();
        return { killSwitch, halts };
      }),
  );

  app.get(
    '/journal/fills',
    { schema: { tags, summary: "The journal's fills (every run's) by event time, in the order they were booked", querystring: journalRangeSchema } },
    async (request, reply) => {
      if (control.journalFills === undefined) return sendError(reply, 501, 'NO_JOURNAL', 'this engine keeps no journal');
      const { from, to } = request.query;
      return { fills: control.journalFills({ ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) }) };
    },
  );
  onlyMethod('/journal/fills', 'GET');
  app.post(
    '/reconcile',
    {
      config: mutating,
      schema: {
        tags,
        summary: "Book the broker's position in a symbol as a journaled adjustment; the symbol trades again",
        body: reconcileRequestSchema,
        response: { 200: z.object({ symbol: z.string(), brokerQty: z.number(), bookQty: z.number() }), ...failures, 409: errorBody, 501: errorBody },
      },
    },
    async (request, reply) => {
      if (control.reconcile === undefined) return sendError(reply, 501, 'NO_JOURNAL', 'this engine keeps no journal: an adjustment would not survive a restart');
      const { symbol, strategyId, reason } = request.body;
      try {
        const outcome = await control.reconcile(symbol, { ...(strategyId === undefined ? {} : { strategyId }), reason, source: 'http' });
        return { symbol: outcome.symbol, brokerQty: outcome.brokerQty, bookQty: outcome.bookQty };
      } catch (error) {
        return sendError(reply, 409, 'CANNOT_RECONCILE', error instanceof Error ? error.message : String(error));
      }
    },
  );
  onlyMethod('/reconcile', 'POST');

  if (pages !== undefined) {
    const serve = (name: string) => async (_request: FastifyRequest, reply: FastifyReply) => {
      const asset: PageAsset | undefined = (await pages).get(name);
      if (asset === undefined) return sendError(reply, 404, 'NOT_FOUND', `no asset ${name}`);
      reply.header('content-type', asset.contentType);
      reply.header('cache-control', 'no-cache');
      reply.header('content-security-policy', "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
      return reply.send(asset.body);
    };
    app.get('/', { config: { public: true }, schema: { hide: true } }, serve('/'));
    onlyMethod('/', 'GET');
    app.get('/assets/:name', { config: { public: true }, schema: { hide: true } }, (request, reply) => serve(`/assets/${(request.params as { name: string }).name}`)(request, reply));
  }

  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address() as AddressInfo;
  const hostInUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${hostInUrl}:${address.port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    dashboardUrl: `${url}/?token=${encodeURIComponent(token)}`,
    token,
    tokenGenerated: config.token === undefined,
    close: () => {
      closing ??= (async () => {
        streams.endAll();
        await app.close();
      })();
      return closing;
    },
  };
}

/** What the journal records as the source of the API's actions. */
const SOURCE = 'http';

/** Runs `act`; an unknown strategy id is a 404, a change asked of a read-only engine a 409. */
function refusals<T>(reply: FastifyReply, act: () => T): T | FastifyReply {
  try {
    return act();
  } catch (error) {
    if (error instanceof UnknownStrategyError) return sendError(reply, 404, 'UNKNOWN_STRATEGY', error.message);
    if (error instanceof ReadOnlyError) return sendError(reply, 409, 'READ_ONLY', error.message);
    throw error;
  }
}

function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').serializer(JSON.stringify).send({ error: { code, message } });
}
