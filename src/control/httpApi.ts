import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Subscription } from 'rxjs';
import { z } from 'zod';
import { ConfigError } from '../core/errors';
import { formatZodError } from '../core/schemas';
import { UnknownStrategyError, type ControlEvent, type EngineControl } from './control';

/**
 * The engine's HTTP control surface, on node:http alone. JSON in and out:
 *
 *   GET  /health                 liveness, the only route open without the token
 *   GET  /status | /positions | /pnl
 *   GET  /orders?limit=N | /fills?limit=N     most recent last
 *   GET  /events                 Server-Sent Events of ControlEvents (`id` = seq; Last-Event-ID resumes)
 *   POST /kill                   {"on": true, "reason": "…"} | {"on": false, "reason"?: "…"}
 *   POST /flatten/:strategyId
 *
 * Errors are `{"error": {"code", "message"}}`; a bad body names the field and the rule broken.
 */
export interface HttpApiOptions {
  /** Default 127.0.0.1. Any other host requires `token`. */
  readonly host?: string;
  /** 0 picks a free port; read it back from `url`. */
  readonly port: number;
  /** When set, every route but /health needs `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** Largest accepted request body. Default 16 KiB. */
  readonly maxBodyBytes?: number;
  /** Comment line sent on idle event streams so proxies keep them open. Default 15 s. */
  readonly sseHeartbeatMs?: number;
  /** An event-stream client that lets this much output pile up unread is disconnected. Default 1 MiB. */
  readonly sseMaxBufferedBytes?: number;
}

export interface HttpApi {
  /** `http://host:port`, with the port actually bound. */
  readonly url: string;
  /** Ends event streams and open connections, then stops listening. Idempotent. */
  close(): Promise<void>;
}

const optionsSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535),
  token: z
    .string()
    .regex(/^\S+$/, 'a non-empty token without spaces')
    .optional(),
  maxBodyBytes: z.number().int().positive().default(16 * 1024),
  sseHeartbeatMs: z.number().int().positive().default(15_000),
  sseMaxBufferedBytes: z.number().int().positive().default(1024 * 1024),
});

const killRequestSchema = z
  .strictObject({
    on: z.boolean(),
    reason: z.string().trim().min(1, 'must not be empty').max(500).optional(),
  })
  .superRefine((body, ctx) => {
    if (body.on && body.reason === undefined) {
      ctx.addIssue({ code: 'custom', path: ['reason'], message: 'required when "on" is true' });
    }
  });

const listQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
});

const strategyIdSchema = z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'letters, digits, ".", "_", ":" or "-", at most 64');

const lastEventIdSchema = z.coerce.number().int().nonnegative();

const LOOPBACK_HOSTS = new Set(['localhost', '::1', '[::1]']);

function isLoopback(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127(\.\d{1,3}){3}$/.test(host);
}

export async function startHttpApi(control: EngineControl, options: HttpApiOptions): Promise<HttpApi> {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) throw new ConfigError(formatZodError(parsed.error), 'HTTP API options');
  const config = parsed.data;
  if (config.token === undefined && !isLoopback(config.host)) {
    throw new ConfigError(`host "${config.host}" is not loopback: set a bearer token`, 'HTTP API options');
  }
  const expectedTokenDigest = config.token === undefined ? undefined : sha256(config.token);
  const eventStreams = new Set<() => void>();

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, 'INTERNAL', error instanceof Error ? error.message : String(error));
      else res.destroy();
    });
  });
  // Malformed HTTP never reaches the handler: answer 400 and drop the socket instead of letting it throw.
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/';
    const queryStart = rawUrl.indexOf('?');
    const rawPath = queryStart === -1 ? rawUrl : rawUrl.slice(0, queryStart);
    const query = new URLSearchParams(queryStart === -1 ? '' : rawUrl.slice(queryStart + 1));
    let segments: string[];
    try {
      segments = rawPath.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
    } catch {
      return sendError(res, 400, 'BAD_PATH', `path "${rawPath}" is not valid percent-encoding`);
    }
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    const route =
      segments.length === 2 && segments[0] === 'flatten' ? 'flatten' : segments.length === 1 && segments[0] !== 'flatten' ? segments[0] : undefined;

    if (route === 'health' && segments.length === 1) {
      if (method !== 'GET') return sendMethodNotAllowed(res, 'GET');
      return sendJson(res, 200, { ok: true });
    }
    if (expectedTokenDigest !== undefined && !bearerMatches(req.headers.authorization, expectedTokenDigest)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      return sendError(res, 401, 'UNAUTHORIZED', 'missing or wrong bearer token');
    }

    switch (route) {
      case 'status':
      case 'positions':
      case 'pnl':
      case 'orders':
      case 'fills':
      case 'events':
        if (method !== 'GET') return sendMethodNotAllowed(res, 'GET');
        return serveRead(route, req, res, query);
      case 'kill':
        if (method !== 'POST') return sendMethodNotAllowed(res, 'POST');
        return serveKill(req, res);
      case 'flatten':
        if (method !== 'POST') return sendMethodNotAllowed(res, 'POST');
        return serveFlatten(segments[1], res);
      default:
        return sendError(res, 404, 'NOT_FOUND', `no route ${rawPath}`);
    }
  }

  function serveRead(
    route: 'status' | 'positions' | 'pnl' | 'orders' | 'fills' | 'events',
    req: IncomingMessage,
    res: ServerResponse,
    query: URLSearchParams,
  ): void {
    switch (route) {
      case 'status':
        return sendJson(res, 200, control.status());
      case 'positions':
        return sendJson(res, 200, { positions: control.positions() });
      case 'pnl':
        return sendJson(res, 200, control.pnl());
      case 'orders':
      case 'fills': {
        const parsedQuery = listQuerySchema.safeParse(Object.fromEntries(query));
        if (!parsedQuery.success) return sendError(res, 400, 'VALIDATION', `query ${formatZodError(parsedQuery.error)}`);
        const all = route === 'orders' ? control.orders() : control.fills();
        const limit = parsedQuery.data.limit ?? all.length;
        return sendJson(res, 200, { [route]: all.slice(Math.max(0, all.length - limit)) });
      }
      case 'events':
        return openEventStream(req, res);
    }
  }

  async function serveKill(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJsonBody(req, res);
    if (body === undefined) return;
    const request = killRequestSchema.safeParse(body.value);
    if (!request.success) return sendError(res, 400, 'VALIDATION', `body ${formatZodError(request.error)}`);
    const { on, reason } = request.data;
    const state = control.setKillSwitch(on, reason ?? 'resumed through the HTTP API');
    sendJson(res, 200, { killSwitch: state });
  }

  function serveFlatten(rawStrategyId: string, res: ServerResponse): void {
    const strategyId = strategyIdSchema.safeParse(rawStrategyId);
    if (!strategyId.success) return sendError(res, 400, 'VALIDATION', `path strategyId: ${formatZodError(strategyId.error)}`);
    if (control.flatten === undefined) return sendError(res, 501, 'NOT_IMPLEMENTED', 'this engine cannot flatten a strategy');
    try {
      control.flatten(strategyId.data);
    } catch (error) {
      if (error instanceof UnknownStrategyError) return sendError(res, 404, 'UNKNOWN_STRATEGY', error.message);
      throw error;
    }
    sendJson(res, 202, { flattening: strategyId.data });
  }

  /** Reads and parses a JSON body; on failure answers the request itself and returns undefined. */
  async function readJsonBody(req: IncomingMessage, res: ServerResponse): Promise<{ readonly value: unknown } | undefined> {
    const contentType = req.headers['content-type'] ?? '';
    if (!/^application\/json\s*(;|$)/i.test(contentType)) {
      req.resume();
      sendError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'body must be JSON (Content-Type: application/json)');
      return undefined;
    }
    const text = await readBody(req, config.maxBodyBytes);
    if (text === 'aborted') return undefined;
    if (text === 'tooLarge') {
      res.setHeader('Connection', 'close');
      sendError(res, 413, 'BODY_TOO_LARGE', `body exceeds ${config.maxBodyBytes} bytes`);
      return undefined;
    }
    try {
      return { value: JSON.parse(text) as unknown };
    } catch (error) {
      sendError(res, 400, 'INVALID_JSON', `body is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
      return undefined;
    }
  }

  function openEventStream(req: IncomingMessage, res: ServerResponse): void {
    const lastEventIdHeader = req.headers['last-event-id'];
    const lastEventId = lastEventIdHeader === undefined ? undefined : lastEventIdSchema.safeParse(lastEventIdHeader);
    if (lastEventId !== undefined && !lastEventId.success) {
      return sendError(res, 400, 'VALIDATION', `header Last-Event-ID: ${formatZodError(lastEventId.error)}`);
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    res.write('retry: 2000\n\n');

    const subscription = new Subscription();
    const heartbeat = setInterval(() => res.write(': ping\n\n'), config.sseHeartbeatMs);
    const release = (): void => {
      clearInterval(heartbeat);
      subscription.unsubscribe();
      eventStreams.delete(end);
    };
    const end = (): void => {
      release();
      res.end();
    };
    const write = (event: ControlEvent): void => {
      // A reader that stopped reading would make us buffer without bound: cut it off; it can resume by id.
      if (res.writableLength > config.sseMaxBufferedBytes) {
        release();
        res.destroy();
        return;
      }
      res.write(`id: ${event.seq}\nevent: ${event.kind}\ndata: ${JSON.stringify(event)}\n\n`);
    };

    eventStreams.add(end);
    res.on('close', release);
    // Replay and subscribe in the same tick so nothing published in between is missed or doubled.
    if (lastEventId !== undefined) for (const event of control.recentEvents(lastEventId.data)) write(event);
    subscription.add(control.events$.subscribe({ next: write, complete: end, error: end }));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostInUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${hostInUrl}:${address.port}`,
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        for (const end of [...eventStreams]) end();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Compares digests, not the raw strings, so the comparison takes the same time whatever the length. */
function bearerMatches(header: string | undefined, expectedDigest: Buffer): boolean {
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match !== null && timingSafeEqual(sha256(match[1]), expectedDigest);
}

function readBody(req: IncomingMessage, limit: number): Promise<string | 'tooLarge' | 'aborted'> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) {
    req.resume();
    return Promise.resolve('tooLarge');
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? 'tooLarge' : Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve('aborted'));
    req.on('close', () => {
      if (!req.complete) resolve('aborted');
    });
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message } });
}

function sendMethodNotAllowed(res: ServerResponse, allowed: 'GET' | 'POST'): void {
  res.setHeader('Allow', allowed === 'GET' ? 'GET, HEAD' : 'POST');
  sendError(res, 405, 'METHOD_NOT_ALLOWED', `use ${allowed}`);
}
