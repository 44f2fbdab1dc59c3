import type { Subscription } from 'rxjs';
import { z } from 'zod';
import { ConfigError } from '../core/errors';
import { formatZodError } from '../core/schemas';
import { UnknownStrategyError, type ControlEvent, type EngineControl } from './control';
import {
  eventMessage,
  helpMessage,
  pnlMessage,
  positionsMessage,
  renderMessage,
  statusMessage,
  type ChatMessage,
  type ParseMode,
} from './telegramFormat';

/**
 * The engine's Telegram control surface: long-polls the Bot API for commands from allowed chats, answers
 * them from `EngineControl`, and pushes fills, rejections, connection and kill-switch changes to those chats.
 *
 * Offsets: an update is acknowledged (offset = update_id + 1) before it is handled, anything below the offset
 * is skipped, and on stop a last getUpdates acknowledges what was handled since the previous poll, so no
 * command runs twice, even across a restart. Commands older than `maxCommandAgeSec` (queued by Telegram while
 * the bot was down) are refused rather than run late: a stale /resume must not lift a kill switch.
 */
export interface TelegramBotOptions {
  /** Bot token; default the environment variable TELEGRAM_BOT_TOKEN. */
  readonly token?: string;
  /** Only these chats may command the bot and receive pushes. Messages from others are logged and ignored. */
  readonly allowedChatIds: readonly number[];
  /** Default https://api.telegram.org. */
  readonly baseUrl?: string;
  /** Long-poll timeout passed to getUpdates. Default 30. */
  readonly pollTimeoutSec?: number;
  /** Default MarkdownV2 (escaped); 'plain' sends text without parse_mode. */
  readonly parseMode?: ParseMode;
  /** Push fills, rejections, connection and kill-switch changes and warnings. Default true. */
  readonly pushEvents?: boolean;
  /** Default 300. */
  readonly maxCommandAgeSec?: number;
  /** Exponential backoff after failed requests. Default 1 s doubling to 60 s. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** Outgoing messages waiting to be sent; beyond this new ones are dropped with an error log. Default 100. */
  readonly maxQueuedMessages?: number;
  /** How long stop() waits for the last acknowledgement, and then for queued messages to go out. Default 2 s. */
  readonly stopGraceMs?: number;
  readonly fetchImpl?: typeof fetch;
  /** Waits `ms` or until `signal` aborts (then resolves early). Injectable so tests need not wait out retry_after. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Default: one JSON line on stderr per entry. */
  readonly log?: (entry: TelegramLogEntry) => void;
  /** Wall clock for message ages. Default `Date.now`. */
  readonly now?: () => number;
  /** Where TELEGRAM_BOT_TOKEN is read when `token` is absent. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface TelegramLogEntry {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  readonly chatId?: number;
  readonly updateId?: number;
}

export type TelegramBotClosed =
  | { readonly reason: 'stopped' }
  /** Telegram refused the token (401/404): retrying cannot help. */
  | { readonly reason: 'unauthorized'; readonly message: string };

export interface TelegramBot {
  /** Resolves once the bot has stopped, by stop() or because Telegram refused the token. Never rejects. */
  readonly closed: Promise<TelegramBotClosed>;
  /** Stops polling and pushes, acknowledges handled updates, lets queued messages go out within the grace. */
  stop(): Promise<void>;
}

const optionsSchema = z.object({
  token: z.string().regex(/^\d+:[A-Za-z0-9_-]+$/, 'a bot token like "123456:ABC-def"'),
  allowedChatIds: z.array(z.number().int()).min(1, 'at least one chat id'),
  baseUrl: z.url().default('https://api.telegram.org'),
  pollTimeoutSec: z.number().int().min(0).max(600).default(30),
  parseMode: z.enum(['MarkdownV2', 'plain']).default('MarkdownV2'),
  pushEvents: z.boolean().default(true),
  maxCommandAgeSec: z.number().positive().default(300),
  backoff: z
    .object({ initialMs: z.number().int().positive(), maxMs: z.number().int().positive() })
    .default({ initialMs: 1000, maxMs: 60_000 }),
  maxQueuedMessages: z.number().int().positive().default(100),
  stopGraceMs: z.number().int().nonnegative().default(2000),
});

/** Bot API envelope: https://core.telegram.org/bots/api#making-requests */
const apiResponseSchema = z.discriminatedUnion('ok', [
  z.looseObject({ ok: z.literal(true), result: z.unknown() }),
  z.looseObject({
    ok: z.literal(false),
    error_code: z.number().int(),
    description: z.string().optional(),
    parameters: z.looseObject({ retry_after: z.number().nonnegative().optional() }).optional(),
  }),
]);

const getMeResultSchema = z.looseObject({ id: z.number().int(), is_bot: z.boolean(), username: z.string().min(1) });

/** Only the id is needed to move the offset; the rest of each update is checked one by one. */
const updateIdsSchema = z.array(z.looseObject({ update_id: z.number().int().nonnegative() }));

const updateSchema = z.looseObject({
  update_id: z.number().int().nonnegative(),
  message: z
    .looseObject({
      message_id: z.number().int(),
      date: z.number().int(),
      chat: z.looseObject({ id: z.number().int(), type: z.string() }),
      from: z.looseObject({ id: z.number().int(), username: z.string().optional() }).optional(),
      text: z.string().optional(),
    })
    .optional(),
});

type Update = z.infer<typeof updateSchema>;
type IncomingMessage = NonNullable<Update['message']>;

type ApiOutcome =
  | { readonly kind: 'ok'; readonly result: unknown }
  | { readonly kind: 'retryAfter'; readonly seconds: number; readonly description: string }
  | { readonly kind: 'unauthorized'; readonly description: string }
  /** `permanent`: the same request will fail again (400 bad request, 403 blocked by the user). */
  | { readonly kind: 'failed'; readonly description: string; readonly permanent: boolean };

const MAX_SEND_ATTEMPTS = 5;
const SEND_TIMEOUT_MS = 15_000;
const COMMAND = /^\/([A-Za-z0-9_]+)(?:@([A-Za-z0-9_]+))?(?:\s+([\s\S]*))?$/;

export function startTelegramBot(control: EngineControl, options: TelegramBotOptions): TelegramBot {
  const env = options.env ?? process.env;
  const parsed = optionsSchema.safeParse({ ...options, token: options.token ?? env.TELEGRAM_BOT_TOKEN });
  if (!parsed.success) {
    const missingToken = options.token === undefined && env.TELEGRAM_BOT_TOKEN === undefined;
    throw new ConfigError(
      missingToken ? 'token: pass it in the options or set TELEGRAM_BOT_TOKEN' : formatZodError(parsed.error),
      'Telegram bot options',
    );
  }
  const config = parsed.data;
  const fetchImpl = options.fetchImpl ?? fetch;
  const sleep = options.sleep ?? abortableSleep;
  const log = options.log ?? logToStderr;
  const now = options.now ?? Date.now;
  const allowed = new Set(config.allowedChatIds);
  const apiRoot = `${config.baseUrl.replace(/\/+$/, '')}/bot${config.token}/`;
  const pollAbort = new AbortController();
  const sendAbort = new AbortController();
  const outbox: { readonly chatId: number; readonly text: string }[] = [];
  let draining = false;
  let drained: Promise<void> = Promise.resolve();
  let username: string | undefined;
  /** Next update id wanted; everything below it was handled. */
  let offset: number | undefined;
  /** The offset last sent to Telegram, which acknowledges everything below it. */
  let acknowledged: number | undefined;
  /** Set while a command from this chat changes the kill switch: its reply stands in for the push. */
  let commandingChatId: number | undefined;

  const redact = (text: string): string => text.split(config.token).join('<token>');

  async function callApi(method: string, params: object, signal: AbortSignal, timeoutMs: number): Promise<ApiOutcome> {
    let response: Response;
    try {
      response = await fetchImpl(apiRoot + method, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(params),
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      });
    } catch (error) {
      return { kind: 'failed', description: `${method}: ${redact(describeError(error))}`, permanent: false };
    }
    let json: unknown;
    try {
      json = await response.json();
    } catch (error) {
      return { kind: 'failed', description: `${method}: HTTP ${response.status}, body is not JSON (${redact(describeError(error))})`, permanent: false };
    }
    const body = apiResponseSchema.safeParse(json);
    if (!body.success) {
      return { kind: 'failed', description: `${method}: unexpected response (${formatZodError(body.error)})`, permanent: false };
    }
    if (body.data.ok) return { kind: 'ok', result: body.data.result };
    const code = body.data.error_code;
    const description = `${method}: ${code} ${body.data.description ?? ''}`.trim();
    if (code === 429 || response.status === 429) {
      return { kind: 'retryAfter', seconds: body.data.parameters?.retry_after ?? 1, description };
    }
    if (code === 401 || code === 404) return { kind: 'unauthorized', description };
    return { kind: 'failed', description, permanent: code === 400 || code === 403 };
  }

  const backoffMs = (failures: number): number =>
    Math.min(config.backoff.maxMs, config.backoff.initialMs * 2 ** Math.min(30, failures - 1));

  async function poll(): Promise<TelegramBotClosed> {
    let failures = 0;
    while (!pollAbort.signal.aborted) {
      const outcome =
        username === undefined
          ? await callApi('getMe', {}, pollAbort.signal, SEND_TIMEOUT_MS)
          : await getUpdates(config.pollTimeoutSec, pollAbort.signal);
      if (pollAbort.signal.aborted) break;
      let failure: string | undefined;
      switch (outcome.kind) {
        case 'unauthorized':
          log({ level: 'error', message: `Telegram refused the bot token (${outcome.description}); stopping` });
          return { reason: 'unauthorized', message: outcome.description };
        case 'retryAfter':
          log({ level: 'warn', message: `rate limited (${outcome.description}); retrying after ${outcome.seconds} s` });
          await sleep(outcome.seconds * 1000, pollAbort.signal);
          continue;
        case 'failed':
          failure = outcome.description;
          break;
        case 'ok':
          failure = username === undefined ? acceptIdentity(outcome.result) : acceptUpdates(outcome.result);
          break;
      }
      if (failure === undefined) {
        failures = 0;
      } else {
        failures += 1;
        const wait = backoffMs(failures);
        log({ level: 'warn', message: `${failure}; retrying in ${wait} ms` });
        await sleep(wait, pollAbort.signal);
      }
    }
    return { reason: 'stopped' };
  }

  async function getUpdates(timeoutSec: number, signal: AbortSignal): Promise<ApiOutcome> {
    const sent = offset;
    const params = { timeout: timeoutSec, allowed_updates: ['message'], ...(sent === undefined ? {} : { offset: sent }) };
    const outcome = await callApi('getUpdates', params, signal, (timeoutSec + 10) * 1000);
    if (outcome.kind === 'ok') acknowledged = sent;
    return outcome;
  }

  function acceptIdentity(result: unknown): string | undefined {
    const me = getMeResultSchema.safeParse(result);
    if (!me.success) return `getMe: unexpected result (${formatZodError(me.error)})`;
    username = me.data.username;
    log({ level: 'info', message: `polling as @${username} for chats ${config.allowedChatIds.join(', ')}` });
    return undefined;
  }

  function acceptUpdates(result: unknown): string | undefined {
    const updates = updateIdsSchema.safeParse(result);
    if (!updates.success) return `getUpdates: unexpected result (${formatZodError(updates.error)})`;
    for (const raw of updates.data) {
      const updateId = raw.update_id;
      if (offset !== undefined && updateId < offset) {
        log({ level: 'warn', message: 'update already handled; skipped', updateId });
        continue;
      }
      offset = updateId + 1;
      const update = updateSchema.safeParse(raw);
      if (!update.success) {
        log({ level: 'warn', message: `update ${updateId} ignored: ${formatZodError(update.error)}`, updateId });
        continue;
      }
      if (update.data.message !== undefined) handleMessage(update.data.message, updateId);
    }
    return undefined;
  }

  function handleMessage(message: IncomingMessage, updateId: number): void {
    const chatId = message.chat.id;
    if (!allowed.has(chatId)) {
      const who = message.from?.username === undefined ? '' : ` from @${message.from.username}`;
      log({ level: 'warn', message: `message${who} in a chat not in the allow-list ignored`, chatId, updateId });
      return;
    }
    const text = message.text?.trim();
    if (text === undefined || text === '') return;
    const command = COMMAND.exec(text);
    if (command === null) {
      reply(chatId, { title: 'Commands only', lines: ['send /help for the list'] });
      return;
    }
    const [, name, addressee, rawArgs] = command;
    if (addressee !== undefined && addressee.toLowerCase() !== (username ?? '').toLowerCase()) return;
    const ageSec = now() / 1000 - message.date;
    if (ageSec > config.maxCommandAgeSec) {
      reply(chatId, { title: `Ignored /${name}`, lines: [`it was sent ${Math.round(ageSec)} s ago; send it again if still wanted`] });
      return;
    }
    try {
      runCommand(name.toLowerCase(), (rawArgs ?? '').trim(), chatId);
    } catch (error) {
      log({ level: 'error', message: `/${name} failed: ${describeError(error)}`, chatId, updateId });
      reply(chatId, { title: `/${name} failed`, lines: [describeError(error)] });
    }
  }

  function runCommand(name: string, args: string, chatId: number): void {
    switch (name) {
      case 'start':
      case 'help':
        return reply(chatId, helpMessage());
      case 'status':
        return reply(chatId, statusMessage(control.status()));
      case 'positions':
        return reply(chatId, positionsMessage(control.positions(), control.pnl().accountCurrency));
      case 'pnl':
        return reply(chatId, pnlMessage(control.pnl()));
      case 'kill':
      case 'resume': {
        const on = name === 'kill';
        const reason = args !== '' ? args : `${on ? '/kill' : '/resume'} from Telegram chat ${chatId}`;
        const before = control.status().killSwitch;
        commandingChatId = chatId;
        const after = (() => {
          try {
            return control.setKillSwitch(on, reason);
          } finally {
            commandingChatId = undefined;
          }
        })();
        const changed = before.on !== after.on;
        return reply(chatId, {
          title: `Kill switch ${after.on ? 'ON' : 'off'}`,
          lines: [changed ? after.reason : `unchanged: already ${after.on ? `on (${after.reason})` : 'off'}`],
        });
      }
      case 'flatten': {
        if (control.flatten === undefined) return reply(chatId, { title: 'Flatten', lines: ['this engine cannot flatten a strategy'] });
        if (args === '') return reply(chatId, { title: 'Flatten', lines: ['usage: /flatten <strategyId>'] });
        try {
          control.flatten(args);
        } catch (error) {
          if (error instanceof UnknownStrategyError) return reply(chatId, { title: 'Flatten', lines: [error.message] });
          throw error;
        }
        return reply(chatId, { title: 'Flatten', lines: [`closing the positions of ${args}`] });
      }
      default:
        return reply(chatId, { title: `Unknown command /${name}`, lines: ['send /help for the list'] });
    }
  }

  function reply(chatId: number, message: ChatMessage): void {
    for (const text of renderMessage(message, config.parseMode)) enqueue(chatId, text);
  }

  function push(event: ControlEvent): void {
    const message = eventMessage(event);
    if (message === undefined) return;
    for (const chatId of config.allowedChatIds) {
      if (event.kind === 'killSwitch' && chatId === commandingChatId) continue;
      reply(chatId, message);
    }
  }

  function enqueue(chatId: number, text: string): void {
    if (sendAbort.signal.aborted) {
      log({ level: 'error', message: 'bot stopped: message not sent', chatId });
      return;
    }
    if (outbox.length >= config.maxQueuedMessages) {
      log({ level: 'error', message: `send queue full (${config.maxQueuedMessages}): message dropped`, chatId });
      return;
    }
    outbox.push({ chatId, text });
    if (!draining) {
      drained = drain().catch((error: unknown) => log({ level: 'error', message: `sending failed: ${describeError(error)}` }));
    }
  }

  async function drain(): Promise<void> {
    draining = true;
    try {
      for (let next = outbox.shift(); next !== undefined; next = outbox.shift()) {
        await deliver(next.chatId, next.text);
        if (sendAbort.signal.aborted) {
          if (outbox.length > 0) log({ level: 'error', message: `bot stopped: ${outbox.length} queued message(s) not sent` });
          outbox.length = 0;
        }
      }
    } finally {
      draining = false;
    }
  }

  async function deliver(chatId: number, text: string): Promise<void> {
    const params = { chat_id: chatId, text, ...(config.parseMode === 'MarkdownV2' ? { parse_mode: 'MarkdownV2' } : {}) };
    let failures = 0;
    for (let attempt = 1; attempt <= MAX_SEND_ATTEMPTS && !sendAbort.signal.aborted; attempt += 1) {
      const outcome = await callApi('sendMessage', params, sendAbort.signal, SEND_TIMEOUT_MS);
      if (outcome.kind === 'ok') return;
      if (outcome.kind === 'unauthorized' || (outcome.kind === 'failed' && outcome.permanent)) {
        log({ level: 'error', message: `message not sent: ${outcome.description}`, chatId });
        return;
      }
      if (attempt === MAX_SEND_ATTEMPTS) {
        log({ level: 'error', message: `message not sent after ${attempt} attempts: ${outcome.description}`, chatId });
        return;
      }
      if (outcome.kind === 'retryAfter') {
        log({ level: 'warn', message: `rate limited (${outcome.description}); retrying after ${outcome.seconds} s`, chatId });
        await sleep(outcome.seconds * 1000, sendAbort.signal);
      } else {
        failures += 1;
        await sleep(backoffMs(failures), sendAbort.signal);
      }
    }
  }

  /** Tells Telegram that updates handled since the last poll are done, so a restart does not see them again. */
  async function acknowledgeHandled(): Promise<void> {
    if (offset === undefined || offset === acknowledged) return;
    const params = { offset, timeout: 0, limit: 1, allowed_updates: ['message'] };
    const outcome = await callApi('getUpdates', params, new AbortController().signal, Math.max(1, config.stopGraceMs));
    if (outcome.kind === 'ok') acknowledged = offset;
    else log({ level: 'warn', message: `could not acknowledge updates below ${offset}: ${outcome.description}` });
  }

  const events: Subscription | undefined = config.pushEvents
    ? control.events$.subscribe({
        next: push,
        error: (error: unknown) => log({ level: 'error', message: `control events failed, pushes stopped: ${describeError(error)}` }),
      })
    : undefined;

  const closed: Promise<TelegramBotClosed> = poll()
    .catch((error: unknown): TelegramBotClosed => {
      log({ level: 'error', message: `polling failed: ${describeError(error)}` });
      return { reason: 'stopped' };
    })
    .then(async (result) => {
      events?.unsubscribe();
      await acknowledgeHandled();
      const grace = setTimeout(() => sendAbort.abort(), config.stopGraceMs);
      await drained;
      clearTimeout(grace);
      sendAbort.abort();
      return result;
    });

  return {
    closed,
    stop: async () => {
      pollAbort.abort();
      await closed;
    },
  };
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}

function logToStderr(entry: TelegramLogEntry): void {
  process.stderr.write(`${JSON.stringify({ source: 'telegram', ...entry })}\n`);
}
