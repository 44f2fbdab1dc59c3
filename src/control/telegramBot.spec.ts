import { Subject } from 'rxjs';
import { ConfigError } from '../core/errors';
import type { ExecutionEvent, Position } from '../core/types';
import { createControlState, type ControlEvent, type ControlState } from './control';
import { makeFill, makeOrderEvent, makePosition } from '../../test/support/controlFixtures';
import { FAKE_BOT_USERNAME, startFakeTelegram, type FakeTelegram } from '../../test/support/fakeTelegram';
import { startTelegramBot, type TelegramBot, type TelegramBotOptions, type TelegramLogEntry } from './telegramBot';

const ALICE = 1001;
const BOB = -2002;
const STRANGER = 999;
/** Bob's own user id: BOB is a group chat. */
const BOB_USER = 2002;
const MALLORY = 3003;

let fake: FakeTelegram;
let control: ControlState;
let executions: Subject<ExecutionEvent>;
let positions: Subject<Position>;
let controlEvents: ControlEvent[];
let bot: TelegramBot | undefined;
let logs: TelegramLogEntry[];
let sleeps: number[];
let nextUpdateId: number;

beforeEach(async () => {
  fake = await startFakeTelegram();
  control = createControlState({ mode: 'live', accountCurrency: 'USD', strategyIds: ['gotobi-a'], initialConnection: 'connected' });
  executions = new Subject();
  positions = new Subject();
  control.attach({ executions$: executions, positions$: positions });
  controlEvents = [];
  control.events$.subscribe((e) => controlEvents.push(e));
  logs = [];
  sleeps = [];
  nextUpdateId = 100;
  bot = undefined;
});

afterEach(async () => {
  await bot?.stop();
  await fake.close();
  control.dispose();
});

function startBot(overrides: Partial<TelegramBotOptions> = {}): TelegramBot {
  bot = startTelegramBot(control, {
    token: fake.token,
    allowedChatIds: [ALICE, BOB],
    allowedUserIds: [ALICE, BOB_USER],
    baseUrl: fake.baseUrl,
    // Long enough that a test always stops the bot while a poll is open; stop() aborts it.
    pollTimeoutSec: 5,
    backoff: { initialMs: 10, maxMs: 40 },
    // Records the wait asked for and returns at once: tests check the policy, not the clock.
    sleep: (ms) => {
      sleeps.push(ms);
      return new Promise((resolve) => setImmediate(resolve));
    },
    log: (entry) => logs.push(entry),
    ...overrides,
  });
  return bot;
}

/** A message in `chatId`; its sender is the chat itself (a private chat) unless `fromUserId` says otherwise (a group). */
function messageUpdate(chatId: number, text: string, sentSecondsAgo = 0, fromUserId = chatId): { update_id: number; message: object } {
  const id = nextUpdateId;
  nextUpdateId += 1;
  const chat = chatId < 0 ? { id: chatId, type: 'group', title: 'desk' } : { id: chatId, type: 'private' };
  return {
    update_id: id,
    message: { message_id: id, date: Math.floor(Date.now() / 1000) - sentSecondsAgo, chat, from: { id: fromUserId, is_bot: false, username: fromUserId === MALLORY ? 'mallory' : 'alice' }, text },
  };
}

const polls = (): (number | undefined)[] =>
  fake.calls.filter((c) => c.method === 'getUpdates').map((c) => c.params.offset as number | undefined);
const textsTo = (chatId: number): string[] => fake.sent.filter((m) => m.chat_id === chatId).map((m) => m.text);

describe('startTelegramBot', () => {
  it('answers /status, /positions, /pnl and /help from an allowed chat in escaped MarkdownV2', async () => {
    startBot();
    positions.next(makePosition({ strategyId: 'gotobi-a', qty: 100_000, avgPrice: 150.25, unrealizedPnl: 1500, unrealizedPnlAccount: 9.98 }));
    for (const text of ['/status', '/positions', '/pnl', '/help']) fake.pushUpdate(messageUpdate(ALICE, text));
    await fake.waitFor('4 replies', () => fake.sent.length === 4);

    expect(fake.calls[0].method).toBe('getMe');
    expect(fake.sent.every((m) => m.chat_id === ALICE && m.parse_mode === 'MarkdownV2')).toBe(true);
    const [status, positionsText, pnl, help] = textsTo(ALICE);
    expect(status).toMatch(/^\*Status\*\nmode: live, connection: connected\nkill switch: off\n/);
    expect(status).toContain('strategies: gotobi\\-a');
    expect(positionsText).toBe('*Positions*\ngotobi\\-a USDJPY \\+100,000 @ 150\\.25, unrealized 1,500\\.00 \\(9\\.98 USD\\)');
    expect(pnl).toBe(
      '*PnL \\(USD\\)*\ngotobi\\-a: realized 0\\.00, unrealized 9\\.98, total 9\\.98\nall: realized 0\\.00, unrealized 9\\.98, total 9\\.98',
    );
    expect(help).toContain('/kill <reason\\> \\- engine\\-wide kill switch');
  });

  it('runs /kill and /resume, confirming to the sender and pushing the change to the other chats', async () => {
    startBot();
    fake.pushUpdate(messageUpdate(ALICE, '/kill news spike'));
    await fake.waitFor('kill reply and push', () => fake.sent.length === 2);
    expect(control.status().killSwitch).toMatchObject({ on: true, reason: 'news spike' });

    fake.pushUpdate(messageUpdate(ALICE, '/kill@' + FAKE_BOT_USERNAME + ' again'));
    fake.pushUpdate(messageUpdate(BOB, '/resume', 0, BOB_USER));
    await fake.waitFor('resume reply and push', () => fake.sent.length === 5);

    expect(textsTo(ALICE)).toEqual(['*Kill switch ON*\nnews spike', '*Kill switch ON*\nunchanged: already on \\(news spike\\)', '*Kill switch off*\n/resume from Telegram chat \\-2002']);
    expect(textsTo(BOB)).toEqual(['*Kill switch ON*\nnews spike', '*Kill switch off*\n/resume from Telegram chat \\-2002']);
    expect(controlEvents.filter((e) => e.kind === 'killSwitch').map((e) => e.kind === 'killSwitch' && e.on)).toEqual([true, false]);
  });

  it('kills, flattens and resumes one strategy, confirming to the sender and pushing to the other chats', async () => {
    startBot();
    fake.pushUpdate(messageUpdate(ALICE, '/kill_strategy gotobi-a odd fills'));
    await fake.waitFor('kill reply and push', () => fake.sent.length === 2);
    fake.pushUpdate(messageUpdate(ALICE, '/flatten all'));
    await fake.waitFor('flatten reply and push', () => fake.sent.length === 4);
    fake.pushUpdate(messageUpdate(ALICE, '/flatten nope'));
    fake.pushUpdate(messageUpdate(ALICE, '/resume_strategy gotobi-a'));
    await fake.waitFor('resume reply and push', () => fake.sent.length === 7);
    expect(textsTo(ALICE)).toEqual([
      '*gotobi\\-a killed*\nodd fills',
      '*Flatten*\nclosing and holding flat: gotobi\\-a',
      '*/flatten*\nunknown strategy "nope"',
      '*gotobi\\-a resumed*\nre\\-aligned with its latest target',
    ]);
    expect(textsTo(BOB)).toEqual(['*gotobi\\-a killed*\nodd fills', '*gotobi\\-a flattened*\n/flatten from Telegram chat 1001', '*gotobi\\-a resumed*\n/resume\\_strategy from Telegram chat 1001']);
    expect(control.status().halts).toEqual({});
  });

  it('runs /reconcile on an engine with a journal (allowed users only), answering once the broker has', async () => {
    const asked: unknown[] = [];
    control.dispose();
    control = createControlState({
      mode: 'live',
      accountCurrency: 'USD',
      strategyIds: ['gotobi-a'],
      reconcile: async (symbol, how) => {
        asked.push([symbol, how]);
        if (symbol !== 'USDJPY') throw new Error(`cannot reconcile ${symbol}: no strategy of this config trading it`);
        return { symbol, brokerQty: 100_000, bookQty: 100_000 };
      },
    });
    startBot();
    fake.pushUpdate(messageUpdate(ALICE, '/reconcile USDJPY'));
    fake.pushUpdate(messageUpdate(ALICE, '/reconcile EURUSD gotobi-a'));
    fake.pushUpdate(messageUpdate(BOB, '/reconcile USDJPY', 0, MALLORY));
    await fake.waitFor('the answers', () => fake.sent.length === 3);
    expect(asked).toEqual([
      ['USDJPY', { reason: `/reconcile from Telegram chat ${ALICE}`, source: 'telegram' }],
      ['EURUSD', { strategyId: 'gotobi-a', reason: `/reconcile from Telegram chat ${ALICE}`, source: 'telegram' }],
    ]);
    expect(textsTo(ALICE).sort()).toEqual(
      ['*Reconciled USDJPY*\nbook 100000 \\= broker 100000; trading it again', '*Reconcile*\ncannot reconcile EURUSD: no strategy of this config trading it'].sort(),
    );
    expect(textsTo(BOB)).toEqual([`*Refused /reconcile*\nuser ${MALLORY} may not change the engine \\(allowedUserIds\\)`]);
  });

  it('moves the offset past each update, skips a redelivered one, and acknowledges the last on stop', async () => {
    const kill = { ...messageUpdate(ALICE, '/kill first'), update_id: 100 };
    const resume = { ...messageUpdate(ALICE, '/resume'), update_id: 101 };
    fake.script('getUpdates', 200, { ok: true, result: [kill] });
    // A second batch that repeats update 100 before the new 101, as after a lost acknowledgement.
    fake.script('getUpdates', 200, { ok: true, result: [kill, resume] });
    startBot();
    await fake.waitFor('third poll', () => polls().length === 3);
    await bot?.stop();

    expect(controlEvents.filter((e) => e.kind === 'killSwitch').map((e) => e.kind === 'killSwitch' && e.reason)).toEqual(['first', '/resume from Telegram chat 1001']);
    expect(logs).toContainEqual({ level: 'warn', message: 'update already handled; skipped', updateId: 100 });
    // The third poll (offset 102) was still open at stop, so a last call acknowledges 101 for a restart.
    expect(polls()).toEqual([1, 101, 102, 102]);
    expect(fake.calls.filter((c) => c.method === 'getUpdates').at(-1)?.params).toMatchObject({ offset: 102, limit: 1 });
    expect(await bot?.closed).toEqual({ reason: 'stopped' });
  });

  it('ignores and logs chats outside the allow-list, and commands addressed to another bot', async () => {
    startBot();
    fake.pushUpdate(messageUpdate(STRANGER, '/kill hijack'));
    fake.pushUpdate(messageUpdate(ALICE, '/kill@OtherBot not for us'));
    fake.pushUpdate(messageUpdate(ALICE, '/status'));
    await fake.waitFor('status reply', () => fake.sent.length === 1);

    expect(control.status().killSwitch.on).toBe(false);
    expect(fake.sent.map((m) => m.chat_id)).toEqual([ALICE]);
    expect(textsTo(ALICE)[0]).toMatch(/^\*Status\*/);
    expect(logs).toContainEqual({ level: 'warn', message: 'message from @alice in a chat not in the allow-list ignored', chatId: STRANGER, userId: STRANGER, updateId: 100 });
  });

  it('refuses a command Telegram kept queued for too long instead of running it late', async () => {
    startBot({ maxCommandAgeSec: 60 });
    fake.pushUpdate(messageUpdate(ALICE, '/kill stale', 3600));
    await fake.waitFor('refusal', () => fake.sent.length === 1);
    expect(control.status().killSwitch.on).toBe(false);
    expect(textsTo(ALICE)[0]).toMatch(/^\*Ignored \/kill\*\nit was sent 36\d\d s ago; send it again if still wanted$/);
  });

  it('waits retry_after on 429 (flood limit) for polling and for sending, then carries on', async () => {
    fake.script('getUpdates', 429, { ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } });
    fake.script('sendMessage', 429, { ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } });
    const started = Date.now();
    startBot();
    fake.pushUpdate(messageUpdate(ALICE, '/help'));
    await fake.waitFor('help reply', () => fake.sent.length === 1, 6000);

    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(fake.calls.filter((c) => c.method === 'sendMessage')).toHaveLength(2);
    expect(polls().slice(0, 2)).toEqual([1, 1]);
    expect(sleeps).toEqual([]);
  });

  it('retries getMe after server errors and a body that is not JSON, and skips a malformed update', async () => {
    fake.script('getMe', 500, { ok: false, error_code: 500, description: 'Internal Server Error' });
    fake.script('getMe', 502, '<html>bad gateway</html>');
    startBot();
    fake.pushUpdate({ update_id: 300, message: { chat: 'nope' } });
    fake.pushUpdate({ ...messageUpdate(ALICE, '/help'), update_id: 301 });
    await fake.waitFor('help reply', () => fake.sent.length === 1);

    expect(fake.calls.filter((c) => c.method === 'getMe')).toHaveLength(3);
    expect(logs.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([
      'update 300 ignored: message.message_id: Invalid input: expected number, received undefined; message.date: Invalid input: expected number, received undefined; message.chat: Invalid input: expected object, received string',
    ]);
  });

  it('retries a message after a server error with its own backoff, and gives up on a permanent refusal', async () => {
    fake.script('sendMessage', 500, { ok: false, error_code: 500, description: 'Internal Server Error' });
    fake.script('sendMessage', 403, { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' });
    startBot({ parseMode: 'plain' });
    fake.pushUpdate(messageUpdate(ALICE, '/help'));
    fake.pushUpdate(messageUpdate(ALICE, '/status'));
    await fake.waitFor('status reply', () => fake.sent.length === 1);

    expect(sleeps).toEqual([10]);
    expect(fake.sent[0].text).toMatch(/^Status\n/);
    expect(logs).toContainEqual({ level: 'error', message: 'message not sent: sendMessage: 403 Forbidden: bot was blocked by the user', chatId: ALICE });
  });

  it('lets any member of an allowed chat read, but only allowed users change anything', async () => {
    startBot({ parseMode: 'plain' });
    fake.pushUpdate(messageUpdate(BOB, '/kill hijack', 0, MALLORY));
    fake.pushUpdate(messageUpdate(BOB, '/flatten gotobi-a', 0, MALLORY));
    fake.pushUpdate(messageUpdate(BOB, '/status', 0, MALLORY));
    await fake.waitFor('3 replies', () => fake.sent.length === 3);

    expect(control.status().killSwitch.on).toBe(false);
    expect(textsTo(BOB)).toEqual([
      `Refused /kill\nuser ${MALLORY} may not change the engine (allowedUserIds)`,
      `Refused /flatten\nuser ${MALLORY} may not change the engine (allowedUserIds)`,
      expect.stringMatching(/^Status\n/),
    ]);
    expect(logs).toContainEqual({ level: 'warn', message: '/kill from @mallory refused: user not in allowedUserIds', chatId: BOB, userId: MALLORY, updateId: 100 });
  });

  it('changes nothing for anyone when no user is allowed', async () => {
    startBot({ parseMode: 'plain', allowedUserIds: [] });
    fake.pushUpdate(messageUpdate(ALICE, '/kill test'));
    await fake.waitFor('refusal', () => fake.sent.length === 1);
    expect(control.status().killSwitch.on).toBe(false);
    expect(textsTo(ALICE)[0]).toBe(`Refused /kill\nuser ${ALICE} may not change the engine (allowedUserIds)`);
  });

  it('refuses a command dated in the future', async () => {
    control.setKillSwitch(true, 'halted');
    startBot({ parseMode: 'plain', maxClockSkewSec: 30 });
    fake.pushUpdate(messageUpdate(ALICE, '/resume', -3600));
    fake.pushUpdate(messageUpdate(ALICE, '/kill slightly ahead', -10));
    await fake.waitFor('2 replies', () => fake.sent.length === 2);
    expect(textsTo(ALICE)[0]).toMatch(/^Ignored \/resume\nit is dated (3599|360\d) s in the future; check the clocks$/);
    expect(control.status().killSwitch).toMatchObject({ on: true, reason: 'halted' });
  });

  it('pushes fills, rejections and connection changes to every allowed chat, but not routine order events', async () => {
    startBot({ parseMode: 'plain' });
    await fake.waitFor('first poll', () => polls().length === 1);
    executions.next(makeOrderEvent({ status: 'Accepted' }));
    executions.next(makeFill({ price: 150.125 }));
    executions.next(makeOrderEvent({ status: 'Rejected', reason: 'MAX_POSITION', message: 'limit 200000' }));
    control.setConnection('disconnected');
    await fake.waitFor('3 pushes to 2 chats', () => fake.sent.length === 6);

    expect(fake.sent.every((m) => m.parse_mode === undefined)).toBe(true);
    expect(textsTo(BOB)).toEqual([
      'Fill gotobi-a\nBUY 100,000 USDJPY @ 150.125 (order gotobi-a-1, 2024-01-05T00:01:00Z)',
      'Rejected gotobi-a-1\nBUY 100,000 USDJPY - MAX_POSITION: limit 200000',
      expect.stringMatching(/^Connection disconnected\nwas connected, at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    ]);
    expect(textsTo(ALICE)).toEqual(textsTo(BOB));
  });

  it('stops for good when Telegram refuses the token', async () => {
    const refused = startBot({ token: '42:not-the-token' });
    expect(await refused.closed).toEqual({ reason: 'unauthorized', message: 'getMe: 401 Unauthorized' });
    expect(fake.calls.map((c) => c.method)).toEqual(['getMe']);
    expect(logs.map((l) => l.message).join('\n')).not.toContain('not-the-token');
  });

  it('takes the token from TELEGRAM_BOT_TOKEN and explains a missing or malformed one', async () => {
    startBot({ token: undefined, env: { TELEGRAM_BOT_TOKEN: fake.token } });
    await fake.waitFor('polling', () => polls().length === 1);
    expect(() => startTelegramBot(control, { allowedChatIds: [ALICE], env: {} })).toThrow(
      new ConfigError('token: pass it in the options or set TELEGRAM_BOT_TOKEN', 'Telegram bot options'),
    );
    expect(() => startTelegramBot(control, { token: 'nope', allowedChatIds: [] })).toThrow(
      'Telegram bot options: token: a bot token like "123456:ABC-def"; allowedChatIds: at least one chat id',
    );
  });
});
