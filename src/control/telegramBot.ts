import { autoRetry } from '@grammyjs/auto-retry';
import { Bot, GrammyError, HttpError } from 'grammy';
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
 * The engine's Telegram control surface, on grammY: long-polls the Bot API for commands from allowed chats,
 * answers them from `EngineControl`, and pushes fills, rejections, connection and kill-switch changes to
 * those chats. `@grammyjs/auto-retry` waits out Telegram's flood limits (429 with `retry_after`).
 *
 * Who may do what: a message counts only from a chat in `allowedChatIds`; a command that changes anything
 * (/kill, /resume, /kill_strategy, /resume_strategy, /flatten, /reconcile) also needs its sender in `allowedUserIds` (any member of an allowed group may
 * read, not switch). A command is refused when it is older than `maxCommandAgeSec` (queued by Telegram while
 * the bot was down: a stale /resume must not lift a kill switch) or dated more than `maxClockSkewSec` in the
 * future (a clock or a server that cannot be trusted).
 *
 * Offsets: grammY asks for updates after the last one handled and, on stop, confirms that one to Telegram, so
 * no command runs twice, even across a restart; an update redelivered anyway is skipped by its id.
 */
export interface TelegramBotOptions {
  /** Bot token; default the environment variable TELEGRAM_BOT_TOKEN. */
  readonly token?: string;
  /** Only these chats may command the bot and receive pushes. Messages from others are logged and ignored. */
  readonly allowedChatIds: readonly number[];
  /** Users who may change state (/kill, /resume, /kill_strategy, /resume_strategy, /flatten, /reconcile). Default none: the bot only answers questions. */
  readonly allowedUserIds?: readonly number[];
  /** Bot API root. Default https://api.telegram.org. */
  readonly baseUrl?: string;
  /** Long-poll timeout passed to getUpdates. Default 30. */
  readonly pollTimeoutSec?: number;
  /** Default MarkdownV2 (escaped); 'plain' sends text without parse_mode. */
  readonly parseMode?: ParseMode;
  /** Push fills, rejections, connection and kill-switch changes and warnings. Default true. */
  readonly pushEvents?: boolean;
  /** Default 300. */
  readonly maxCommandAgeSec?: number;
  /** A command dated further in the future than this is refused. Default 30. */
  readonly maxClockSkewSec?: number;
  /** Retries of a message that failed for another reason than a flood limit (5xx, network). Default 1 s doubling to 60 s. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** Outgoing messages waiting to be sent; beyond this new ones are dropped with an error log. Default 100. */
  readonly maxQueuedMessages?: number;
  /** How long stop() waits for the last acknowledgement, and then for queued messages to go out. Default 2 s. */
  readonly stopGraceMs?: number;
  /** Waits `ms` or until `signal` aborts (then resolves early). Injectable so tests need not wait out backoffs. */
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
  readonly userId?: number;
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
  allowedUserIds: z.array(z.number().int().positive()).default([]),
  baseUrl: z.url().default('https://api.telegram.org'),
  pollTimeoutSec: z.number().int().min(0).max(600).default(30),
  parseMode: z.enum(['MarkdownV2', 'plain']).default('MarkdownV2'),
  pushEvents: z.boolean().default(true),
  maxCommandAgeSec: z.number().positive().default(300),
  maxClockSkewSec: z.number().nonnegative().default(30),
  backoff: z
    .object({ initialMs: z.number().int().positive(), maxMs: z.number().int().positive() })
    .default({ initialMs: 1000, maxMs: 60_000 }),
  maxQueuedMessages: z.number().int().positive().default(100),
  stopGraceMs: z.number().int().nonnegative().default(2000),
});

/** The part of an update the bot reads, checked one update at a time (grammY passes them on unchecked). */
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

type IncomingMessage = NonNullable<z.infer<typeof updateSchema>['message']>;

/** Commands that change the engine's state: only `allowedUserIds` may send them. */
const STATE_CHANGING = new Set(['kill', 'resume', 'flatten', 'kill_strategy', 'resume_strategy', 'reconcile']);
/** What the journal records as the source of the bot's actions. */
const SOURCE = 'telegram';
const MAX_SEND_ATTEMPTS = 5;
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
  const sleep = options.sleep ?? abortableSleep;
  const log = options.log ?? logToStderr;
  const now = options.now ?? Date.now;
  const allowedChats = new Set(config.allowedChatIds);
  const allowedUsers = new Set(config.allowedUserIds);
  const bot = new Bot(config.token, { client: { apiRoot: config.baseUrl.replace(/\/+$/, '') } });
  // Flood limits only: grammY itself retries getMe and getUpdates on server and network errors, and the
  // outbox below retries messages with its own bounded backoff.
  bot.api.config.use(autoRetry({ maxRetryAttempts: 5, maxDelaySeconds: 120, rethrowInternalServerErrors: true, rethrowHttpErrors: true }));
  const initAbort = new AbortController();
  const sendAbort = new AbortController();
  const outbox: { readonly chatId: number; readonly text: string }[] = [];
  let draining = false;
  let drained: Promise<void> = Promise.resolve();
  let stopping = false;
  /** Highest update id handled: a redelivered update is skipped. */
  let lastUpdateId = -1;
  /** Set while a command from this chat changes the kill switch: its reply stands in for the push. */
  let commandingChatId: number | undefined;

  const redact = (text: string): string => text.split(config.token).join('<token>');

  bot.use((ctx) => {
    const updateId = ctx.update.update_id;
    if (updateId <= lastUpdateId) {
      log({ level: 'warn', message: 'update already handled; skipped', updateId });
      return;
    }
    lastUpdateId = updateId;
    const update = updateSchema.safeParse(ctx.update);
    if (!update.success) {
      log({ level: 'warn', message: `update ${updateId} ignored: ${formatZodError(update.error)}`, updateId });
      return;
    }
    if (update.data.message !== undefined) handleMessage(update.data.message, updateId);
  });
  bot.catch((error) => log({ level: 'error', message: `update ${error.ctx.update.update_id} failed: ${describeError(error.error)}` }));

  function handleMessage(message: IncomingMessage, updateId: number): void {
    const chatId = message.chat.id;
    const userId = message.from?.id;
    const who = message.from?.username === undefined ? '' : ` from @${message.from.username}`;
    if (!allowedChats.has(chatId)) {
      log({ level: 'warn', message: `message${who} in a chat not in the allow-list ignored`, chatId, userId, updateId });
      return;
    }
    const text = message.text?.trim();
    if (text === undefined || text === '') return;
    const command = COMMAND.exec(text);
    if (command === null) {
      reply(chatId, { title: 'Commands only', lines: ['send /help for the list'] });
      return;
    }
    const [, rawName, addressee, rawArgs] = command;
    const name = rawName.toLowerCase();
    if (addressee !== undefined && addressee.toLowerCase() !== (bot.isInited() ? bot.botInfo.username.toLowerCase() : '')) return;
    const ageSec = now() / 1000 - message.date;
    if (ageSec > config.maxCommandAgeSec) {
      reply(chatId, { title: `Ignored /${rawName}`, lines: [`it was sent ${Math.round(ageSec)} s ago; send it again if still wanted`] });
      return;
    }
    if (-ageSec > config.maxClockSkewSec) {
      log({ level: 'warn', message: `/${name}${who} dated ${Math.round(-ageSec)} s in the future refused`, chatId, userId, updateId });
      reply(chatId, { title: `Ignored /${rawName}`, lines: [`it is dated ${Math.round(-ageSec)} s in the future; check the clocks`] });
      return;
    }
    if (STATE_CHANGING.has(name) && (userId === undefined || !allowedUsers.has(userId))) {
      log({ level: 'warn', message: `/${name}${who} refused: user not in allowedUserIds`, chatId, userId, updateId });
      reply(chatId, { title: `Refused /${rawName}`, lines: [`user ${userId ?? 'unknown'} may not change the engine (allowedUserIds)`] });
      return;
    }
    try {
      runCommand(name, (rawArgs ?? '').trim(), chatId);
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
        const before = control.status();
        const after = commanding(chatId, () => {
          if (on) return control.setKillSwitch(true, reason, SOURCE);
          control.resume(undefined, reason, SOURCE);
          return control.status().killSwitch;
        });
        const resumed = on ? [] : Object.keys(before.halts);
        const changed = before.killSwitch.on !== after.on;
        const lines = [changed ? after.reason : `unchanged: already ${after.on ? `on (${after.reason})` : 'off'}`];
        if (resumed.length > 0) lines.push(`resumed: ${resumed.join(', ')}`);
        return reply(chatId, { title: `Kill switch ${after.on ? 'ON' : 'off'}`, lines });
      }
      case 'kill_strategy':
      case 'resume_strategy':
      case 'flatten': {
        const [target = '', ...rest] = args.split(/\s+/);
        if (target === '') return reply(chatId, { title: `/${name}`, lines: [`usage: /${name} <strategyId${name === 'flatten' ? '|all' : ''}> [reason]`] });
        const reason = rest.length > 0 ? rest.join(' ') : `/${name} from Telegram chat ${chatId}`;
        try {
          return reply(chatId, commanding(chatId, () => strategyCommand(name, target, reason)));
        } catch (error) {
          if (error instanceof UnknownStrategyError) return reply(chatId, { title: `/${name}`, lines: [error.message] });
          throw error;
        }
      }
      case 'reconcile': {
        const reconcile = control.reconcile;
        if (reconcile === undefined) return reply(chatId, { title: 'Reconcile', lines: ['this engine keeps no journal: an adjustment would not survive a restart'] });
        const [symbol, strategyId, ...rest] = args.split(/\s+/).filter((word) => word !== '');
        if (symbol === undefined || rest.length > 0) return reply(chatId, { title: 'Reconcile', lines: ['usage: /reconcile <symbol> [strategyId]'] });
        const how = { ...(strategyId === undefined ? {} : { strategyId }), reason: `/reconcile from Telegram chat ${chatId}`, source: 'telegram' };
        // Asks the broker for its position first: the answer comes when it has.
        void reconcile(symbol, how).then(
          (outcome) => reply(chatId, { title: `Reconciled ${outcome.symbol}`, lines: [`book ${outcome.bookQty} = broker ${outcome.brokerQty}; trading it again`] }),
          (error: unknown) => reply(chatId, { title: 'Reconcile', lines: [error instanceof Error ? error.message : String(error)] }),
        );
        return;
      }
      default:
        return reply(chatId, { title: `Unknown command /${name}`, lines: ['send /help for the list'] });
    }
  }

  /** Runs a state change for `chatId`: its reply stands in for the push of the change to that chat. */
  function commanding<T>(chatId: number, act: () => T): T {
    commandingChatId = chatId;
    try {
      return act();
    } finally {
      commandingChatId = undefined;
    }
  }

  function strategyCommand(name: 'kill_strategy' | 'resume_strategy' | 'flatten', target: string, reason: string): ChatMessage {
    switch (name) {
      case 'flatten': {
        const ids = control.flatten(target === 'all' ? undefined : target, reason, SOURCE);
        return { title: 'Flatten', lines: [ids.length === 0 ? 'no strategy to flatten' : `closing and holding flat: ${ids.join(', ')}`] };
      }
      case 'kill_strategy': {
        const state = control.killStrategy(target, reason, SOURCE);
        return { title: `${target} ${state.halt === 'flat' ? 'is flat' : 'killed'}`, lines: [state.reason] };
      }
      case 'resume_strategy':
        control.resume(target, reason, SOURCE);
        return { title: `${target} resumed`, lines: [control.status().killSwitch.on ? 'the engine-wide kill switch is still on' : 're-aligned with its latest target'] };
    }
  }

  function reply(chatId: number, message: ChatMessage): void {
    for (const text of renderMessage(message, config.parseMode)) enqueue(chatId, text);
  }

  function push(event: ControlEvent): void {
    const message = eventMessage(event);
    if (message === undefined) return;
    for (const chatId of config.allowedChatIds) {
      if ((event.kind === 'killSwitch' || event.kind === 'halt') && chatId === commandingChatId) continue;
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

  const backoffMs = (failures: number): number =>
    Math.min(config.backoff.maxMs, config.backoff.initialMs * 2 ** Math.min(30, failures - 1));

  async function deliver(chatId: number, text: string): Promise<void> {
    const other = config.parseMode === 'MarkdownV2' ? { parse_mode: 'MarkdownV2' as const } : {};
    for (let attempt = 1; attempt <= MAX_SEND_ATTEMPTS && !sendAbort.signal.aborted; attempt += 1) {
      try {
        // grammY types its signal with the abort-controller shim's AbortSignal; Node's own is what it gets at run time.
        await bot.api.sendMessage(chatId, text, other, sendAbort.signal as Parameters<typeof bot.api.sendMessage>[3]);
        return;
      } catch (error) {
        const description = apiErrorText(error, redact);
        // 400 (bad request), 401/404 (token), 403 (blocked by the user): the same message would fail again.
        if (error instanceof GrammyError && error.error_code < 500 && error.error_code !== 429) {
          log({ level: 'error', message: `message not sent: ${description}`, chatId });
          return;
        }
        if (attempt === MAX_SEND_ATTEMPTS || sendAbort.signal.aborted) {
          log({ level: 'error', message: `message not sent after ${attempt} attempts: ${description}`, chatId });
          return;
        }
        await sleep(backoffMs(attempt), sendAbort.signal);
      }
    }
  }

  const events: Subscription | undefined = config.pushEvents
    ? control.events$.subscribe({
        next: push,
        error: (error: unknown) => log({ level: 'error', message: `control events failed, pushes stopped: ${describeError(error)}` }),
      })
    : undefined;

  const poll = async (): Promise<TelegramBotClosed> => {
    try {
      // grammY retries getMe on server and network errors; the signal lets stop() end that wait.
      await bot.init(initAbort.signal as Parameters<typeof bot.init>[0]);
      if (stopping) return { reason: 'stopped' };
      log({ level: 'info', message: `polling as @${bot.botInfo.username} for chats ${config.allowedChatIds.join(', ')}` });
      await bot.start({ allowed_updates: ['message'], timeout: config.pollTimeoutSec });
      return { reason: 'stopped' };
    } catch (error) {
      if (stopping) return { reason: 'stopped' };
      if (error instanceof GrammyError && (error.error_code === 401 || error.error_code === 404)) {
        const message = apiErrorText(error, redact);
        log({ level: 'error', message: `Telegram refused the bot token (${message}); stopping` });
        return { reason: 'unauthorized', message };
      }
      log({ level: 'error', message: `polling failed: ${apiErrorText(error, redact)}` });
      return { reason: 'stopped' };
    }
  };

  const closed: Promise<TelegramBotClosed> = poll().then(async (result) => {
    events?.unsubscribe();
    const grace = setTimeout(() => sendAbort.abort(), config.stopGraceMs);
    await drained;
    clearTimeout(grace);
    sendAbort.abort();
    return result;
  });

  return {
    closed,
    stop: async () => {
      stopping = true;
      initAbort.abort();
      if (bot.isRunning()) {
        // grammY's stop confirms the last handled update to Telegram; bounded, Telegram may be unreachable.
        const confirmed = bot
          .stop()
          .catch((error: unknown) => log({ level: 'warn', message: `could not acknowledge handled updates: ${apiErrorText(error, redact)}` }));
        await Promise.race([confirmed, abortableSleep(Math.max(1, config.stopGraceMs), new AbortController().signal)]);
      }
      await closed;
    },
  };
}

/** `getMe: 401 Unauthorized`, `sendMessage: 400 Bad Request: …`, or the network error, token redacted. */
function apiErrorText(error: unknown, redact: (text: string) => string): string {
  if (error instanceof GrammyError) return redact(`${error.method}: ${error.error_code} ${error.description}`.trim());
  if (error instanceof HttpError) return redact(`${error.message} (${describeError(error.error)})`);
  return redact(describeError(error));
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
