import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

/**
 * A stand-in for the Telegram Bot API on 127.0.0.1, for tests: getMe, deleteWebhook, getUpdates (long polling
 * with Telegram's offset rule: asking with `offset` forgets every update below it) and sendMessage (recorded,
 * and refused with Telegram's own 400 when MarkdownV2 has an unescaped reserved character).
 * Tests queue updates, script one-off responses (429, 500, duplicated batches) and read what was sent.
 */
export interface FakeTelegram {
  readonly baseUrl: string;
  readonly token: string;
  /** Every request in arrival order, with its parsed JSON parameters. */
  readonly calls: readonly { readonly method: string; readonly params: Readonly<Record<string, unknown>> }[];
  readonly sent: readonly SentMessage[];
  /** Queues an update for getUpdates; a waiting long poll returns it at once. */
  pushUpdate(update: object): void;
  /** The next call of `method` gets this response instead of the normal one. Scripts queue up in order. */
  script(method: string, status: number, body: unknown): void;
  /** Resolves once `predicate` holds; rejects with `what` after `timeoutMs` (default 3 s). */
  waitFor(what: string, predicate: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface SentMessage {
  readonly chat_id: number;
  readonly text: string;
  readonly parse_mode?: string;
}

export const FAKE_BOT_TOKEN = '123456:TEST-token_abc';
export const FAKE_BOT_USERNAME = 'EngineTestBot';

const getUpdatesParams = z.object({
  offset: z.number().int().optional(),
  timeout: z.number().int().min(0).optional(),
  limit: z.number().int().min(1).max(100).optional(),
  allowed_updates: z.array(z.string()).optional(),
});

const sendMessageParams = z.object({
  chat_id: z.number().int(),
  text: z.string().min(1).max(4096),
  parse_mode: z.enum(['MarkdownV2', 'HTML', 'Markdown']).optional(),
});

/** MarkdownV2 outside code entities: reserved characters need a backslash; only bold (`*`) is used here. */
function markdownV2Problem(text: string): string | undefined {
  let bold = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === '\\') {
      i += 1;
    } else if (c === '*') {
      bold = !bold;
    } else if ('_[]()~`>#+-=|{}.!'.includes(c)) {
      return `Bad Request: can't parse entities: Character '${c}' is reserved and must be escaped with the preceding '\\'`;
    }
  }
  return bold ? "Bad Request: can't parse entities: Can't find end of Bold entity" : undefined;
}

export async function startFakeTelegram(): Promise<FakeTelegram> {
  const calls: { method: string; params: Record<string, unknown> }[] = [];
  const sent: SentMessage[] = [];
  const scripts = new Map<string, { status: number; body: unknown }[]>();
  let updates: { update_id: number }[] = [];
  let waiting: (() => void)[] = [];

  /** A string body goes out as it is (an HTML error page of a proxy), anything else as JSON. */
  const respond = (res: ServerResponse, status: number, body: unknown): void => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/html' : 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const fail = (res: ServerResponse, code: number, description: string): void => respond(res, code, { ok: false, error_code: code, description });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(req.url ?? '');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (match === null) return fail(res, 404, 'Not Found');
    const method = match[2];
    const raw = Buffer.concat(chunks).toString('utf8');
    let params: Record<string, unknown>;
    try {
      params = raw === '' ? {} : (JSON.parse(raw) as Record<string, unknown>);
    } catch {
      return fail(res, 400, 'Bad Request: invalid JSON');
    }
    calls.push({ method, params });
    if (match[1] !== FAKE_BOT_TOKEN) return fail(res, 401, 'Unauthorized');
    const scripted = scripts.get(method)?.shift();
    if (scripted !== undefined) return respond(res, scripted.status, scripted.body);

    switch (method) {
      case 'getMe':
        return respond(res, 200, { ok: true, result: { id: 123456, is_bot: true, first_name: 'Engine', username: FAKE_BOT_USERNAME } });
      case 'deleteWebhook':
        return respond(res, 200, { ok: true, result: true });
      case 'getUpdates': {
        const p = getUpdatesParams.safeParse(params);
        if (!p.success) return fail(res, 400, `Bad Request: ${p.error.message}`);
        const offset = p.data.offset;
        if (offset !== undefined) updates = updates.filter((u) => u.update_id >= offset);
        const ready = (): { update_id: number }[] => updates.slice(0, p.data.limit ?? 100);
        if (ready().length === 0 && (p.data.timeout ?? 0) > 0) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(done, (p.data.timeout ?? 0) * 1000);
            function done(): void {
              clearTimeout(timer);
              waiting = waiting.filter((w) => w !== done);
              resolve();
            }
            waiting.push(done);
            res.on('close', done);
          });
        }
        if (res.destroyed) return;
        return respond(res, 200, { ok: true, result: ready() });
      }
      case 'sendMessage': {
        const p = sendMessageParams.safeParse(params);
        if (!p.success) return fail(res, 400, `Bad Request: ${p.error.message}`);
        const problem = p.data.parse_mode === 'MarkdownV2' ? markdownV2Problem(p.data.text) : undefined;
        if (problem !== undefined) return fail(res, 400, problem);
        sent.push(p.data);
        return respond(res, 200, { ok: true, result: { message_id: sent.length, date: Math.floor(Date.now() / 1000), chat: { id: p.data.chat_id, type: 'private' }, text: p.data.text } });
      }
      default:
        return fail(res, 404, 'Not Found: method not found');
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    token: FAKE_BOT_TOKEN,
    calls,
    sent,
    pushUpdate: (update: object) => {
      updates.push(update as { update_id: number });
      for (const wake of [...waiting]) wake();
    },
    script: (method: string, status: number, body: unknown) => {
      const queue = scripts.get(method) ?? [];
      queue.push({ status, body });
      scripts.set(method, queue);
    },
    waitFor: (what: string, predicate: () => boolean, timeoutMs = 3000) =>
      new Promise<void>((resolve, reject) => {
        const deadline = Date.now() + timeoutMs;
        const check = (): void => {
          if (predicate()) resolve();
          else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
          else setTimeout(check, 5);
        };
        check();
      }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const wake of [...waiting]) wake();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
